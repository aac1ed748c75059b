/** The page frame: head (CSP-friendly: external CSS and JS only), top bar, navigation, flash message. */
import { csrfField } from './components.js';
import { type Interpolation, type SafeHtml, html, raw } from './html.js';
import { assetUrl } from './static-assets.js';

export interface Viewer {
  readonly email: string;
  readonly role: 'user' | 'admin';
  readonly csrf: string;
}

export interface Flash {
  readonly kind: 'success' | 'error' | 'info';
  readonly text: string;
}

export type Section =
  | 'sessions'
  | 'tokens'
  | 'account'
  | 'admin-users'
  | 'admin-alerts'
  | 'admin-blocks'
  | 'admin-audit'
  | 'none';

export interface PageOptions {
  readonly title: string;
  readonly viewer?: Viewer | undefined;
  readonly section?: Section;
  readonly flash?: Flash | undefined;
  readonly body: Interpolation;
  /** Dialogs are placed at the end of <body>, outside <main>. */
  readonly dialogs?: Interpolation;
  /** A page without the top bar (sign-in). */
  readonly bare?: boolean;
  /** Use the width of a large screen (wide tables). */
  readonly wide?: boolean;
}

const LOGO = raw(
  `<svg class="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="8" fill="currentColor"/><path d="M16 6l8 3v6c0 5.2-3.4 9.4-8 11-4.6-1.6-8-5.8-8-11V9z" fill="none" stroke="#fff" stroke-width="2.2" stroke-linejoin="round"/><path d="M12.5 16.5l2.5 2.5 4.5-5" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>`,
);

function navLink(href: string, label: string, active: boolean): SafeHtml {
  return html`<li><a href="${href}"${active ? raw(' aria-current="page"') : ''}>${label}</a></li>`;
}

function topBar(viewer: Viewer, section: Section): SafeHtml {
  const admin = viewer.role === 'admin';
  return html`<header class="topbar">
    <div class="topbar-inner">
      <a class="brand" href="/">${LOGO}<span>revokd</span></a>
      <nav class="nav" aria-label="Main">
        <ul>
          ${navLink('/sessions', 'Sessions', section === 'sessions')}
          ${navLink('/tokens', 'API tokens', section === 'tokens')}
          ${navLink('/account', 'Account', section === 'account')}
          ${admin ? navLink('/admin/users', 'Security', section.startsWith('admin-')) : ''}
        </ul>
      </nav>
      <div class="account">
        <span class="account-email" title="${viewer.email}">${viewer.email}</span>
        ${admin ? html`<span class="badge badge-accent">admin</span>` : ''}
        <form method="post" action="/logout" class="inline-form">
          ${csrfField(viewer.csrf)}
          <button type="submit" class="btn btn-ghost btn-small">Sign out</button>
        </form>
      </div>
    </div>
    ${
      admin && section.startsWith('admin-')
        ? html`<nav class="subnav" aria-label="Security console">
      <ul>
        ${navLink('/admin/users', 'Users', section === 'admin-users')}
        ${navLink('/admin/alerts', 'Alerts', section === 'admin-alerts')}
        ${navLink('/admin/blocks', 'IP blocks', section === 'admin-blocks')}
        ${navLink('/admin/audit', 'Audit log', section === 'admin-audit')}
      </ul>
    </nav>`
        : ''
    }
  </header>`;
}

export function flashBanner(flash: Flash | undefined): SafeHtml {
  if (flash === undefined) return html``;
  const role = flash.kind === 'error' ? 'alert' : 'status';
  return html`<div class="flash flash-${flash.kind}" role="${role}">${flash.text}</div>`;
}

export function page(options: PageOptions): SafeHtml {
  const viewer = options.viewer;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${options.title} · revokd</title>
<link rel="icon" href="${assetUrl('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetUrl('app.css')}">
<script src="${assetUrl('app.js')}" defer></script>
</head>
<body class="${[options.bare === true ? 'bare' : '', options.wide === true ? 'page-wide' : ''].filter(Boolean).join(' ')}">
<a class="skip-link" href="#main">Skip to content</a>
${viewer === undefined || options.bare === true ? '' : topBar(viewer, options.section ?? 'none')}
<main id="main" class="container${options.wide === true ? ' container-wide' : ''}" tabindex="-1">
${flashBanner(options.flash)}
${options.body}
</main>
${options.dialogs ?? ''}
</body>
</html>
`;
}

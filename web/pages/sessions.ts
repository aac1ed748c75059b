/** Your sessions: where you are signed in, revoke one, log out everywhere, "this wasn't me". */
import {
  badge,
  confirmAction,
  confirmPanel,
  csrfField,
  emptyState,
  pageHeader,
  time,
} from '../components.js';
import { type SafeHtml, html } from '../html.js';
import { type Flash, type Viewer, page } from '../layout.js';
import { ICONS } from '../icons.js';
import {
  USER_AGENT_PARSE_LIMIT,
  USER_AGENT_SHOWN_LIMIT,
  describeUserAgent,
  printable,
} from '../user-agent.js';

export interface SessionRow {
  readonly id: string;
  readonly createdAtMs: number;
  readonly lastUsedAtMs: number;
  readonly ip: string;
  readonly lastIp: string;
  readonly userAgent: string;
  readonly current: boolean;
}

export function logoutEverywhereSpec(csrf: string) {
  return {
    id: 'confirm-logout-all',
    fallbackHref: '/sessions/logout-all',
    cancelHref: '/sessions',
    triggerLabel: 'Log out everywhere…',
    triggerClass: 'btn btn-secondary',
    title: 'Log out everywhere?',
    message: html`<p>Every session of your account ends now, this one included. Access tokens already handed out stop working
      at once. Your API tokens are not affected.</p>`,
    action: '/sessions/logout-all',
    confirmLabel: 'Log out everywhere',
    csrf,
  };
}

export function notMeSpec(csrf: string) {
  return {
    id: 'confirm-not-me',
    fallbackHref: '/sessions/not-me',
    cancelHref: '/sessions',
    triggerLabel: 'This wasn’t me…',
    triggerClass: 'btn btn-danger-outline',
    title: 'Secure your account?',
    message: html`<p>This ends <strong>every session</strong> of your account and revokes <strong>every API token</strong> you own,
      then alerts the security team. Programs using your tokens will stop working until you create new ones.</p>`,
    action: '/sessions/not-me',
    confirmLabel: 'Revoke everything and alert',
    csrf,
  };
}

function sessionRow(s: SessionRow, csrf: string): SafeHtml {
  const device = describeUserAgent(s.userAgent);
  const action = html`<form method="post" action="/sessions/${encodeURIComponent(s.id)}/revoke" class="inline-form">
      ${csrfField(csrf)}
      <button type="submit" class="btn btn-small ${s.current ? 'btn-secondary' : 'btn-danger-outline'}"
        aria-label="${s.current ? 'Sign out of this device' : `Revoke the session on ${device.label} (${device.kindLabel})`}">${s.current ? 'Sign out' : 'Revoke'}</button>
    </form>`;
  return html`<tr${s.current ? html` class="row-current"` : ''}>
    <td data-label="Device" class="cell-primary"><span class="device"><span class="device-icon">${ICONS[device.kind]}</span>
      <span><span class="device-name">${device.label}</span>${s.current ? html` ${badge('This device', 'success')}` : ''}
      <span class="device-kind muted small">${device.kindLabel}</span>
      <span class="device-ua muted" title="${printable(s.userAgent, USER_AGENT_PARSE_LIMIT)}">${s.userAgent === '' ? 'no user agent' : printable(s.userAgent, USER_AGENT_SHOWN_LIMIT)}</span></span></span></td>
    <td data-label="IP address"><code>${s.lastIp}</code>${s.lastIp !== s.ip ? html`<div class="muted small">signed in from <code>${s.ip}</code></div>` : ''}</td>
    <td data-label="Signed in">${time(s.createdAtMs)}</td>
    <td data-label="Last active">${time(s.lastUsedAtMs, { relative: true })}</td>
    <td class="cell-actions">${action}</td>
  </tr>`;
}

export function sessionsPage(
  viewer: Viewer,
  sessions: readonly SessionRow[],
  flash?: Flash,
): SafeHtml {
  const logoutAll = confirmAction(logoutEverywhereSpec(viewer.csrf));
  const notMe = confirmAction(notMeSpec(viewer.csrf));
  const others = sessions.filter((s) => !s.current).length;
  return page({
    title: 'Sessions',
    viewer,
    section: 'sessions',
    flash,
    body: html`
      ${pageHeader('Sessions', `You are signed in on ${sessions.length} ${sessions.length === 1 ? 'device' : 'devices'}${others > 0 ? ` (${others} besides this one)` : ''}. Revoke any you do not recognise.`, logoutAll.trigger)}
      <section class="card card-flush" aria-label="Active sessions">
        ${
          sessions.length === 0
            ? emptyState('No active sessions', 'Sessions appear here when you sign in.')
            : html`
        <table class="table responsive">
          <thead><tr><th scope="col">Device</th><th scope="col">IP address</th><th scope="col">Signed in</th><th scope="col">Last active</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${sessions.map((s) => sessionRow(s, viewer.csrf))}</tbody>
        </table>`
        }
      </section>
      <section class="card card-danger" aria-labelledby="not-me-heading">
        <div class="split">
          <div>
            <h2 id="not-me-heading">Don’t recognise some of this?</h2>
            <p class="muted">End every session, revoke all your API tokens and alert the security team in one step.</p>
          </div>
          <div>${notMe.trigger}</div>
        </div>
      </section>`,
    dialogs: [logoutAll.dialog, notMe.dialog],
  });
}

/** The no-JavaScript confirmation pages. */
export function sessionsConfirmPage(viewer: Viewer, which: 'logout-all' | 'not-me'): SafeHtml {
  const spec = which === 'logout-all' ? logoutEverywhereSpec(viewer.csrf) : notMeSpec(viewer.csrf);
  return page({ title: spec.title, viewer, section: 'sessions', body: confirmPanel(spec) });
}

/** Sign in. Errors say what to do next, and never which of email or password was wrong. */
import { type Flash, page } from '../layout.js';
import { type SafeHtml, html, raw } from '../html.js';

export interface LoginView {
  readonly error?: string | undefined;
  readonly notice?: Flash | undefined;
  readonly email?: string | undefined;
  /** Anti-CSRF token of the sign-in form (double-submitted with a cookie: there is no session yet). */
  readonly loginCsrf: string;
  /** Where to go after signing in (a validated local path). */
  readonly next?: string | undefined;
}

const LOGO = raw(
  `<svg class="logo logo-large" viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="8" fill="currentColor"/><path d="M16 6l8 3v6c0 5.2-3.4 9.4-8 11-4.6-1.6-8-5.8-8-11V9z" fill="none" stroke="#fff" stroke-width="2.2" stroke-linejoin="round"/><path d="M12.5 16.5l2.5 2.5 4.5-5" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>`,
);

export function loginPage(view: LoginView): SafeHtml {
  const hasError = view.error !== undefined;
  return page({
    title: 'Sign in',
    bare: true,
    body: html`<div class="auth-wrap">
      <div class="auth-card card">
        <div class="auth-brand">${LOGO}<span>revokd</span></div>
        <h1 class="auth-title">Sign in</h1>
        <p class="muted auth-sub">Manage your sessions and API tokens.</p>
        ${view.notice === undefined ? '' : html`<div class="flash flash-${view.notice.kind}" role="status">${view.notice.text}</div>`}
        ${hasError ? html`<div class="flash flash-error" role="alert" id="login-error">${view.error}</div>` : ''}
        <form method="post" action="/login" class="stack" novalidate>
          <input type="hidden" name="_csrf" value="${view.loginCsrf}">
          ${view.next === undefined ? '' : html`<input type="hidden" name="next" value="${view.next}">`}
          <div class="field">
            <label for="email">Email</label>
            <input id="email" name="email" type="email" autocomplete="username" required maxlength="254"
              value="${view.email ?? ''}" ${hasError ? raw('aria-describedby="login-error" aria-invalid="true"') : ''} ${view.email === undefined ? raw('autofocus') : ''}>
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"
              ${hasError ? raw('aria-describedby="login-error" aria-invalid="true"') : ''} ${view.email !== undefined ? raw('autofocus') : ''}>
          </div>
          <button type="submit" class="btn btn-primary btn-block">Sign in</button>
        </form>
      </div>
      <p class="auth-foot muted">Signing in creates a session you can see and revoke from any of your devices.</p>
    </div>`,
  });
}

/**
 * Account: change your password (current password, new one twice). The same page is where a user
 * whose password was generated (the first-run admin) is sent at sign-in, before anything else.
 */
import { csrfField, pageHeader } from '../components.js';
import { type SafeHtml, html, raw } from '../html.js';
import { type Flash, type Viewer, page } from '../layout.js';

export interface AccountView {
  /** The password was generated for the user: nothing else opens until it is changed. */
  readonly forced: boolean;
  readonly error?: string | undefined;
  readonly flash?: Flash | undefined;
}

export function accountPage(viewer: Viewer, view: AccountView): SafeHtml {
  const invalid =
    view.error === undefined ? '' : raw('aria-invalid="true" aria-describedby="password-error"');
  return page({
    title: view.forced ? 'Choose a new password' : 'Account',
    viewer,
    section: 'account',
    flash: view.flash,
    body: html`
      ${pageHeader(
        view.forced ? 'Choose a new password' : 'Account',
        view.forced
          ? 'Your password was generated when this service was set up. Choose your own before you continue; the file that holds the generated one is then deleted.'
          : html`Signed in as <strong>${viewer.email}</strong>.`,
      )}
      <section class="card" aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <p class="muted">Changing it signs out every other device and session of your account; this one stays signed in. API tokens keep working.</p>
        ${view.error === undefined ? '' : html`<div class="flash flash-error" role="alert" id="password-error">${view.error}</div>`}
        <form method="post" action="/account/password" class="stack" novalidate>
          ${csrfField(viewer.csrf)}
          <input type="text" name="username" value="${viewer.email}" autocomplete="username" aria-label="Email" hidden readonly>
          <div class="field">
            <label for="current-password">Current password</label>
            <input id="current-password" name="current_password" type="password" autocomplete="current-password" required maxlength="1024" autofocus ${invalid}>
          </div>
          <div class="field">
            <label for="new-password">New password</label>
            <input id="new-password" name="new_password" type="password" autocomplete="new-password" required minlength="8" maxlength="1024" aria-describedby="new-password-help" ${invalid}>
            <p class="help" id="new-password-help">At least 8 characters and hard to guess: several uncommon words work well. Common passwords, and ones built from your email, are refused.</p>
          </div>
          <div class="field">
            <label for="confirm-password">New password, again</label>
            <input id="confirm-password" name="confirm_password" type="password" autocomplete="new-password" required maxlength="1024" ${invalid}>
          </div>
          <div><button type="submit" class="btn btn-primary">Change password</button></div>
        </form>
      </section>`,
  });
}

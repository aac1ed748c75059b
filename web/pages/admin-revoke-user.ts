/** Security console — revoke everything a user holds: the dry-run preview, then a mandatory reason. */
import { pageHeader } from '../components.js';
import { type SafeHtml, html } from '../html.js';
import { type Viewer, page } from '../layout.js';

export interface RevokeUserPreview {
  readonly userId: string;
  readonly email: string;
  readonly sessions: number;
  readonly refreshTokens: number;
  readonly apiTokens: number;
}

function stat(value: number | string, label: string): SafeHtml {
  return html`<div class="stat"><span class="stat-value">${value}</span><span class="stat-label">${label}</span></div>`;
}

export function adminRevokeUserPage(
  viewer: Viewer,
  preview: RevokeUserPreview,
  form: { reason?: string; error?: string } = {},
): SafeHtml {
  const err = form.error;
  return page({
    title: `Revoke ${preview.email}`,
    viewer,
    section: 'admin-users',
    body: html`
      ${pageHeader(`Revoke everything for ${preview.email}`, 'A preview (dry run) of what this reaches right now. Nothing has been changed yet.')}
      <section class="card" aria-labelledby="preview-heading">
        <h2 id="preview-heading">This will revoke</h2>
        <div class="stats" data-preview>
          ${stat(preview.sessions, preview.sessions === 1 ? 'live session' : 'live sessions')}
          ${stat(preview.refreshTokens, preview.refreshTokens === 1 ? 'refresh token' : 'refresh tokens')}
          ${stat(preview.apiTokens, preview.apiTokens === 1 ? 'active API token' : 'active API tokens')}
          ${stat('All', 'access tokens issued before you confirm')}
        </div>
        <p class="muted small">Each API token’s owner is emailed. The user can sign in again afterwards unless the account is disabled.</p>
      </section>
      <section class="card card-danger" aria-labelledby="reason-heading">
        <h2 id="reason-heading">Confirm</h2>
        ${err === undefined ? '' : html`<div class="flash flash-error" role="alert" id="reason-error">${err}</div>`}
        <form method="post" action="/admin/users/${preview.userId}/revoke" class="stack">
          <input type="hidden" name="_csrf" value="${viewer.csrf}">
          <div class="field">
            <label for="revoke-reason">Reason <span class="required">(required)</span></label>
            <textarea id="revoke-reason" name="reason" required maxlength="500" rows="3" placeholder="e.g. laptop reported stolen, ticket SEC-1234"
              aria-describedby="revoke-reason-help${err === undefined ? '' : ' reason-error'}">${form.reason ?? ''}</textarea>
            <p class="help" id="revoke-reason-help">Recorded in the audit log with your name, and included in the owner emails.</p>
          </div>
          <div class="confirm-actions">
            <a class="btn btn-secondary" href="/admin/users">Cancel</a>
            <button type="submit" class="btn btn-danger">Revoke everything</button>
          </div>
        </form>
      </section>`,
  });
}

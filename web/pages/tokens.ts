/**
 * API tokens: create (the secret is shown once, with a copy button and a warning), list, revoke one
 * through a confirmation dialog that names it, revoke all (once an hour).
 */
import {
  badge,
  confirmAction,
  confirmPanel,
  type ConfirmSpec,
  csrfField,
  emptyState,
  pageHeader,
  time,
} from '../components.js';
import { ICONS } from '../icons.js';
import { type SafeHtml, html, raw } from '../html.js';
import type { ApiTokenRecord } from '../../src/stores/types.js';
import { type Flash, type Viewer, page } from '../layout.js';

/** What the page shows of a token: the stored record's own fields (never a secret: only the hash is stored). */
export type TokenRow = Pick<
  ApiTokenRecord,
  | 'id'
  | 'name'
  | 'tokenPrefix'
  | 'scopes'
  | 'createdAtMs'
  | 'expiresAtMs'
  | 'lastUsedAtMs'
  | 'lastUsedIp'
  | 'isActive'
  | 'revokedAtMs'
>;

export interface CreatedToken {
  readonly name: string;
  readonly token: string;
  readonly expiresAtMs: number | null;
}

export interface TokenForm {
  readonly name?: string;
  readonly scopes?: string;
  readonly expires?: string;
  readonly error?: string;
}

export interface TokensView {
  readonly tokens: readonly TokenRow[];
  readonly nowMs: number;
  readonly created?: CreatedToken | undefined;
  readonly form?: TokenForm | undefined;
  /** When "revoke all" can be used again (undefined: now). */
  readonly revokeAllAvailableAtMs?: number | undefined;
  readonly flash?: Flash | undefined;
}

export const EXPIRY_CHOICES: ReadonlyArray<[string, string]> = [
  ['7', '7 days'],
  ['30', '30 days'],
  ['90', '90 days'],
  ['365', '1 year'],
  ['never', 'No expiry'],
];

function status(t: TokenRow, nowMs: number): SafeHtml {
  if (!t.isActive) return badge('Revoked', 'danger');
  if (t.expiresAtMs !== null && t.expiresAtMs <= nowMs) return badge('Expired', 'warning');
  return badge('Active', 'success');
}

export function revokeTokenSpec(t: TokenRow, csrf: string): ConfirmSpec {
  return {
    id: `revoke-${t.id}`,
    fallbackHref: `/tokens/${t.id}/revoke`,
    cancelHref: '/tokens',
    triggerLabel: 'Revoke…',
    triggerClass: 'btn btn-small btn-danger-outline',
    triggerAriaLabel: `Revoke token ${t.name}`,
    title: `Revoke “${t.name}”?`,
    message: html`<p>Anything using <code>${t.tokenPrefix}…</code> will be refused from now on. A revoked token cannot be restored;
      you would have to create a new one.</p>`,
    action: `/tokens/${t.id}/revoke`,
    confirmLabel: 'Revoke token',
    csrf,
  };
}

export function revokeAllSpec(csrf: string, live: number): ConfirmSpec {
  return {
    id: 'confirm-revoke-all',
    fallbackHref: '/tokens/revoke-all',
    cancelHref: '/tokens',
    triggerLabel: 'Revoke all…',
    title: 'Revoke all API tokens?',
    message: html`<p>All ${live} active ${live === 1 ? 'token' : 'tokens'} will be refused from now on. You can do this once an hour.</p>`,
    action: '/tokens/revoke-all',
    confirmLabel: 'Revoke all tokens',
    csrf,
  };
}

function createdPanel(created: CreatedToken): SafeHtml {
  return html`<section class="card card-success secret-card" aria-labelledby="secret-heading" data-secret-panel>
    <h2 id="secret-heading">${ICONS.check} Token “${created.name}” created</h2>
    <p class="secret-warning">${ICONS.warning}<span><strong>Copy it now — it will not be shown again.</strong> revokd keeps only a hash of it.
      Treat it like a password.</span></p>
    <div class="secret-row">
      <label class="visually-hidden" for="new-token">New API token</label>
      <input id="new-token" class="secret-input mono" type="text" value="${created.token}" readonly spellcheck="false" autocomplete="off" data-select-on-focus>
      <button type="button" class="btn btn-primary" data-copy="new-token" hidden>${ICONS.copy}<span>Copy</span></button>
    </div>
    <p class="muted small" aria-live="polite" data-copy-status></p>
    <p class="small muted">Use it as <code>Authorization: Bearer ${created.token.slice(0, 8)}…</code>. ${created.expiresAtMs === null ? 'It does not expire.' : html`It expires ${time(created.expiresAtMs)}.`}</p>
  </section>`;
}

function createForm(csrf: string, form: TokenForm | undefined): SafeHtml {
  const expires = form?.expires ?? '90';
  const error = form?.error;
  return html`<section class="card" aria-labelledby="create-heading">
    <h2 id="create-heading">Create a token</h2>
    ${error === undefined ? '' : html`<div class="flash flash-error" role="alert" id="create-error">${error}</div>`}
    <form method="post" action="/tokens" class="form-grid">
      ${csrfField(csrf)}
      <div class="field">
        <label for="token-name">Name</label>
        <input id="token-name" name="name" type="text" required maxlength="100" placeholder="e.g. deploy bot" value="${form?.name ?? ''}"
          aria-describedby="token-name-help${error === undefined ? '' : ' create-error'}">
        <p class="help" id="token-name-help">What it is for, so you recognise it later.</p>
      </div>
      <div class="field">
        <label for="token-scopes">Scopes <span class="optional">(optional)</span></label>
        <input id="token-scopes" name="scopes" type="text" maxlength="1000" placeholder="read write" value="${form?.scopes ?? ''}" aria-describedby="token-scopes-help" spellcheck="false" autocapitalize="off">
        <p class="help" id="token-scopes-help">Separated by spaces.</p>
      </div>
      <div class="field">
        <label for="token-expires">Expires after</label>
        <select id="token-expires" name="expires">
          ${EXPIRY_CHOICES.map(([value, label]) => html`<option value="${value}"${value === expires ? raw(' selected') : ''}>${label}</option>`)}
        </select>
      </div>
      <div class="field field-submit"><button type="submit" class="btn btn-primary">Create token</button></div>
    </form>
  </section>`;
}

function tokenRow(t: TokenRow, view: TokensView, trigger: SafeHtml | undefined): SafeHtml {
  return html`<tr${t.isActive ? '' : html` class="row-muted"`}>
    <td data-label="Name" class="cell-primary"><span class="strong">${t.name}</span></td>
    <td data-label="Token"><code>${t.tokenPrefix}…</code></td>
    <td data-label="Scopes">${t.scopes.length === 0 ? html`<span class="muted">all</span>` : t.scopes.map((s) => html`<span class="chip">${s}</span> `)}</td>
    <td data-label="Created">${time(t.createdAtMs)}</td>
    <td data-label="Last used">${t.lastUsedAtMs === null ? html`<span class="muted">never</span>` : html`${time(t.lastUsedAtMs, { relative: true })}${t.lastUsedIp === null ? '' : html`<div class="muted small">from <code>${t.lastUsedIp}</code></div>`}`}</td>
    <td data-label="Expires">${t.isActive ? time(t.expiresAtMs, { empty: 'never' }) : html`<span class="muted">revoked ${time(t.revokedAtMs)}</span>`}</td>
    <td data-label="Status">${status(t, view.nowMs)}</td>
    <td class="cell-actions">${trigger ?? ''}</td>
  </tr>`;
}

export function tokensPage(viewer: Viewer, view: TokensView): SafeHtml {
  const live = view.tokens.filter((t) => t.isActive);
  const confirms = new Map(live.map((t) => [t.id, confirmAction(revokeTokenSpec(t, viewer.csrf))]));
  const revokeAll = confirmAction(revokeAllSpec(viewer.csrf, live.length));
  const available =
    view.revokeAllAvailableAtMs === undefined || view.revokeAllAvailableAtMs <= view.nowMs;
  const revokeAllControl =
    live.length === 0
      ? html`<button type="button" class="btn btn-danger-outline" disabled>Revoke all…</button>`
      : available
        ? revokeAll.trigger
        : html`<button type="button" class="btn btn-danger-outline" disabled aria-describedby="revoke-all-limit">Revoke all…</button>`;
  return page({
    title: 'API tokens',
    viewer,
    section: 'tokens',
    flash: view.flash,
    body: html`
      ${pageHeader('API tokens', 'Long-lived tokens for scripts and services. Each acts as you; revoke any you no longer use.')}
      ${view.created === undefined ? '' : createdPanel(view.created)}
      ${createForm(viewer.csrf, view.form)}
      <section class="card card-flush" aria-labelledby="tokens-heading">
        <div class="card-head">
          <h2 id="tokens-heading">Your tokens <span class="count">${live.length} active</span></h2>
          <div class="card-head-actions">
            <span class="muted small" id="revoke-all-limit">${available ? 'Revoke all: once an hour.' : html`Revoke all was used; available again ${time(view.revokeAllAvailableAtMs, { relative: true })}.`}</span>
            ${revokeAllControl}
          </div>
        </div>
        ${
          view.tokens.length === 0
            ? emptyState(
                'No API tokens yet',
                'Create one above to call the API from a script or a service.',
              )
            : html`
        <table class="table responsive">
          <thead><tr><th scope="col">Name</th><th scope="col">Token</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${view.tokens.map((t) => tokenRow(t, view, confirms.get(t.id)?.trigger))}</tbody>
        </table>`
        }
      </section>`,
    dialogs: [
      [...confirms.values()].map((c) => c.dialog),
      live.length > 0 && available ? revokeAll.dialog : '',
    ],
  });
}

export function tokenConfirmPage(viewer: Viewer, spec: ConfirmSpec): SafeHtml {
  return page({ title: spec.title, viewer, section: 'tokens', body: confirmPanel(spec) });
}

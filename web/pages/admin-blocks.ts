/** Security console — IP blocks: add (with a reason; revokes the sessions from the range), lift (with a reason). */
import {
  badge,
  confirmAction,
  confirmPanel,
  type ConfirmSpec,
  emptyState,
  pageHeader,
  time,
} from '../components.js';
import { type SafeHtml, html, raw } from '../html.js';
import { type Flash, type Viewer, page } from '../layout.js';

export interface BlockRow {
  readonly id: string;
  readonly cidr: string;
  readonly reason: string;
  readonly source: string;
  readonly createdAtMs: number;
  readonly createdByEmail: string | null;
  readonly expiresAtMs: number | null;
  readonly liftedAtMs: number | null;
  readonly active: boolean;
}

export interface BlockForm {
  readonly target?: string;
  readonly reason?: string;
  readonly duration?: string;
  readonly error?: string;
}

export interface BlocksView {
  readonly blocks: readonly BlockRow[];
  readonly showAll: boolean;
  readonly yourIp: string;
  readonly form?: BlockForm | undefined;
  readonly flash?: Flash | undefined;
}

export const DURATION_CHOICES: ReadonlyArray<[string, string]> = [
  ['3600', '1 hour'],
  ['86400', '24 hours'],
  ['604800', '7 days'],
  ['2592000', '30 days'],
  ['permanent', 'Until lifted'],
];

export function unblockSpec(b: BlockRow, csrf: string, reason?: string): ConfirmSpec {
  return {
    id: `unblock-${b.id}`,
    fallbackHref: `/admin/blocks/${b.id}/unblock`,
    cancelHref: '/admin/blocks',
    triggerLabel: 'Unblock…',
    triggerClass: 'btn btn-small btn-secondary',
    triggerAriaLabel: `Unblock ${b.cidr}`,
    title: `Unblock ${b.cidr}?`,
    message: html`<p>Requests from this range will be accepted again. Sessions and tokens the block revoked stay revoked.</p>`,
    fields: html`<div class="field">
        <label for="unblock-reason-${b.id}">Reason <span class="required">(required)</span></label>
        <input id="unblock-reason-${b.id}" name="reason" type="text" required maxlength="500" value="${reason ?? ''}" placeholder="e.g. false positive, office NAT">
      </div>`,
    action: `/admin/blocks/${b.id}/unblock`,
    confirmLabel: 'Unblock',
    danger: false,
    csrf,
  };
}

const SOURCE_LABEL: Record<string, string> = {
  manual: 'manual',
  honeypot: 'honeypot',
  canary: 'canary token',
  decoy: 'decoy account',
  brute_force: 'brute force',
};

function blockRow(b: BlockRow, trigger: SafeHtml | undefined): SafeHtml {
  const state = b.active
    ? badge('Active', 'danger')
    : b.liftedAtMs !== null
      ? badge('Lifted')
      : badge('Expired');
  return html`<tr${b.active ? '' : html` class="row-muted"`}>
    <td data-label="Address" class="cell-primary"><code class="strong">${b.cidr}</code></td>
    <td data-label="Reason">${b.reason}</td>
    <td data-label="Source">${badge(SOURCE_LABEL[b.source] ?? b.source, b.source === 'manual' ? 'neutral' : 'info')}${b.createdByEmail === null ? '' : html`<div class="muted small">by ${b.createdByEmail}</div>`}</td>
    <td data-label="Blocked">${time(b.createdAtMs)}</td>
    <td data-label="Until">${b.liftedAtMs !== null ? html`<span class="muted">lifted ${time(b.liftedAtMs)}</span>` : time(b.expiresAtMs, { empty: 'lifted by hand' })}</td>
    <td data-label="State">${state}</td>
    <td class="cell-actions">${trigger ?? ''}</td>
  </tr>`;
}

export function adminBlocksPage(viewer: Viewer, view: BlocksView): SafeHtml {
  const confirms = new Map(
    view.blocks
      .filter((b) => b.active)
      .map((b) => [b.id, confirmAction(unblockSpec(b, viewer.csrf))]),
  );
  const form = view.form;
  const duration = form?.duration ?? '86400';
  return page({
    title: 'IP blocks',
    viewer,
    section: 'admin-blocks',
    flash: view.flash,
    body: html`
      ${pageHeader('IP blocks', 'A blocked address gets 403 on every request, sign-in included, and every session created or refreshed from it, and every API token created or last used from it, is revoked.')}
      <section class="card" aria-labelledby="block-heading">
        <h2 id="block-heading">Block an address or range</h2>
        ${form?.error === undefined ? '' : html`<div class="flash flash-error" role="alert" id="block-error">${form.error}</div>`}
        <form method="post" action="/admin/blocks" class="form-grid">
          <input type="hidden" name="_csrf" value="${viewer.csrf}">
          <div class="field">
            <label for="block-target">IP address or CIDR range</label>
            <input id="block-target" name="target" type="text" required maxlength="64" placeholder="203.0.113.7 or 198.51.100.0/24" value="${form?.target ?? ''}"
              spellcheck="false" autocapitalize="off" aria-describedby="block-target-help">
            <p class="help" id="block-target-help">Your address is <code>${view.yourIp}</code>; a range containing it is refused.</p>
          </div>
          <div class="field">
            <label for="block-reason">Reason <span class="required">(required)</span></label>
            <input id="block-reason" name="reason" type="text" required maxlength="500" placeholder="e.g. credential stuffing" value="${form?.reason ?? ''}">
          </div>
          <div class="field">
            <label for="block-duration">Duration</label>
            <select id="block-duration" name="duration">
              ${DURATION_CHOICES.map(([v, l]) => html`<option value="${v}"${v === duration ? raw(' selected') : ''}>${l}</option>`)}
            </select>
          </div>
          <div class="field field-submit"><button type="submit" class="btn btn-danger">Block</button></div>
        </form>
      </section>
      <section class="card card-flush" aria-labelledby="blocks-heading">
        <div class="card-head">
          <h2 id="blocks-heading">${view.showAll ? 'All blocks' : 'Active blocks'} <span class="count">${view.blocks.length}</span></h2>
          <a class="small" href="${view.showAll ? '/admin/blocks' : '/admin/blocks?all=1'}">${view.showAll ? 'Show active only' : 'Show lifted and expired too'}</a>
        </div>
        ${
          view.blocks.length === 0
            ? emptyState('No blocks', 'Nothing is blocked right now.')
            : html`
        <table class="table responsive">
          <thead><tr><th scope="col">Address</th><th scope="col">Reason</th><th scope="col">Source</th><th scope="col">Blocked</th><th scope="col">Until</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>${view.blocks.map((b) => blockRow(b, confirms.get(b.id)?.trigger))}</tbody>
        </table>`
        }
      </section>`,
    dialogs: [...confirms.values()].map((c) => c.dialog),
  });
}

export function unblockConfirmPage(viewer: Viewer, spec: ConfirmSpec, error?: string): SafeHtml {
  return page({
    title: spec.title,
    viewer,
    section: 'admin-blocks',
    body: html`${error === undefined ? '' : html`<div class="flash flash-error" role="alert">${error}</div>`}${confirmPanel(spec)}`,
  });
}

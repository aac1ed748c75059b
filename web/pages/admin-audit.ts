/** Security console — the audit log: newest first, paged, filtered, with the hash chain's state. */
import { badge, emptyState, pageHeader, time } from '../components.js';
import { ICONS } from '../icons.js';
import { type SafeHtml, html, raw } from '../html.js';
import { type Viewer, page } from '../layout.js';
import { pager } from './pager.js';

export interface AuditRow {
  readonly seq: number;
  readonly atMs: number;
  readonly type: string;
  readonly actorType: string;
  readonly actor: string | null;
  readonly initiator: string | null;
  readonly reason: string | null;
  readonly targetType: string | null;
  readonly target: string | null;
  readonly ip: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export type ChainState =
  | { readonly ok: true; readonly entries: number; readonly headSeq: number }
  | {
      readonly ok: false;
      readonly entries: number;
      readonly firstBadSeq: number;
      readonly problem: string;
    };

export interface AuditView {
  readonly chain: ChainState;
  readonly entries: readonly AuditRow[];
  readonly types: readonly string[];
  readonly type: string | undefined;
  readonly user: string;
  readonly userError?: string | undefined;
  readonly offset: number;
  readonly pageSize: number;
  readonly hasMore: boolean;
}

function typeTone(type: string) {
  if (
    type.endsWith('revoked') ||
    type === 'ip.blocked' ||
    type.includes('reused') ||
    type.includes('used_after')
  )
    return 'danger' as const;
  if (type.startsWith('alert.') || type.includes('failed') || type.startsWith('deception'))
    return 'warning' as const;
  if (type.endsWith('created') || type.endsWith('logged_in')) return 'success' as const;
  return 'neutral' as const;
}

/** Details as one `key value` line each (values of any shape, shown as text). */
function detailLines(details: Readonly<Record<string, unknown>>): SafeHtml[] {
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(
      ([k, v]) =>
        html`<span class="kv"><span class="kv-key">${k}</span> ${typeof v === 'string' ? v : JSON.stringify(v)}</span>`,
    );
}

function chainBanner(chain: ChainState): SafeHtml {
  if (chain.ok) {
    return html`<div class="chain chain-ok" role="status" data-chain="verified">${ICONS.shield}<div><strong>Chain verified</strong>
      <span>All ${chain.entries} ${chain.entries === 1 ? 'entry links' : 'entries link'} up to the head (#${chain.headSeq}): nothing was edited, removed or reordered.</span></div></div>`;
  }
  return html`<div class="chain chain-broken" role="alert" data-chain="broken">${ICONS.broken}<div><strong>Chain broken at entry #${chain.firstBadSeq}</strong>
    <span>${chain.problem}. ${chain.entries} ${chain.entries === 1 ? 'entry' : 'entries'} before it verified; entries from #${chain.firstBadSeq} on cannot be trusted.</span></div></div>`;
}

function row(e: AuditRow): SafeHtml {
  const details = detailLines(e.details);
  return html`<tr>
    <td data-label="#" class="mono">${e.seq}</td>
    <td data-label="Time" class="nowrap">${time(e.atMs)}</td>
    <td data-label="Event" class="nowrap">${badge(e.type, typeTone(e.type))}</td>
    <td data-label="Actor">${e.actor === null ? '' : html`${e.actor}`}<div class="muted small">${e.actorType}${e.ip === null ? '' : html` · from <code>${e.ip}</code>`}</div></td>
    <td data-label="Target" class="cell-target">${e.target === null ? html`<span class="muted">—</span>` : html`<span class="break">${e.target}</span><div class="muted small">${e.targetType ?? ''}</div>`}</td>
    <td data-label="Reason">${e.reason === null ? html`<span class="muted">—</span>` : html`${e.reason}${e.initiator === null ? '' : html`<div class="muted small">by ${e.initiator}</div>`}`}</td>
    <td data-label="Details" class="details-cell">${details.length === 0 ? html`<span class="muted">—</span>` : html`<span class="mono small">${details}</span>`}</td>
  </tr>`;
}

export function adminAuditPage(viewer: Viewer, view: AuditView): SafeHtml {
  const href = (offset: number) => {
    const p = new URLSearchParams();
    if (view.type !== undefined) p.set('type', view.type);
    if (view.user !== '') p.set('user', view.user);
    if (offset > 0) p.set('offset', String(offset));
    const q = p.toString();
    return q === '' ? '/admin/audit' : `/admin/audit?${q}`;
  };
  return page({
    title: 'Audit log',
    viewer,
    section: 'admin-audit',
    wide: true,
    body: html`
      ${pageHeader('Audit log', 'Every issue, revocation, block and admin action, hash-chained so that any edit, deletion or reordering shows.')}
      ${chainBanner(view.chain)}
      <section class="card card-flush" aria-label="Audit entries">
        <form method="get" action="/admin/audit" class="toolbar">
          <div class="field">
            <label for="audit-type">Event</label>
            <select id="audit-type" name="type">
              <option value="">All events</option>
              ${view.types.map((t) => html`<option value="${t}"${view.type === t ? raw(' selected') : ''}>${t}</option>`)}
            </select>
          </div>
          <div class="field field-grow">
            <label for="audit-user">User (email or id)</label>
            <input id="audit-user" name="user" type="search" maxlength="254" value="${view.user}" placeholder="alice@example.com"
              ${view.userError === undefined ? '' : raw('aria-invalid="true" aria-describedby="audit-user-error"')}>
            ${view.userError === undefined ? '' : html`<p class="help help-error" id="audit-user-error">${view.userError}</p>`}
          </div>
          <div class="field field-submit"><button type="submit" class="btn btn-secondary">Filter</button></div>
        </form>
        ${
          view.entries.length === 0
            ? emptyState('No entries', 'No audit entry matches these filters.')
            : html`
        <div class="table-scroll"><table class="table responsive table-dense">
          <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Reason</th><th scope="col">Details</th></tr></thead>
          <tbody>${view.entries.map(row)}</tbody>
        </table></div>`
        }
        ${pager({ offset: view.offset, pageSize: view.pageSize, shown: view.entries.length, hasMore: view.hasMore, href, label: 'Audit pages', newerOlder: true })}
      </section>`,
  });
}

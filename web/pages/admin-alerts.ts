/** Security console — alerts: filter by severity and state, acknowledge. */
import { badge, csrfField, emptyState, pageHeader, time, type Tone } from '../components.js';
import { type SafeHtml, html, raw } from '../html.js';
import { type Flash, type Viewer, page } from '../layout.js';
import { pager } from './pager.js';

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
export type AlertState = 'open' | 'acknowledged' | 'all';

export interface AlertRow {
  readonly id: string;
  readonly severity: Severity;
  readonly type: string;
  /** The subject as recorded (a user id), and its email when it names a user. */
  readonly subject: string | null;
  readonly subjectEmail: string | undefined;
  readonly ip: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly createdAtMs: number;
  readonly acknowledgedAtMs: number | null;
  readonly acknowledgedByEmail: string | null;
}

export interface AlertsView {
  readonly alerts: readonly AlertRow[];
  readonly severity: Severity | undefined;
  readonly state: AlertState;
  readonly counts: Readonly<Record<Severity, { total: number; unacknowledged: number }>>;
  readonly offset: number;
  readonly pageSize: number;
  readonly hasMore: boolean;
  readonly flash?: Flash | undefined;
}

export const SEVERITY_TONE: Record<Severity, Tone> = {
  CRITICAL: 'danger',
  HIGH: 'warning',
  MEDIUM: 'info',
  LOW: 'neutral',
};

const TITLES: Record<string, string> = {
  revoked_token_replay: 'Revoked token used again',
  refresh_token_reuse: 'Refresh token reused (possible theft)',
  brute_force_user: 'Many failed sign-ins for one user',
  brute_force_ip: 'Many failed sign-ins from one address',
  token_request_rate: 'Unusual number of token requests',
  honeypot_triggered: 'Honeypot path probed',
  canary_triggered: 'Canary token used',
  decoy_triggered: 'Sign-in attempt on a decoy account',
  user_reported_compromise: 'User reported activity that was not theirs',
};

export function alertTitle(type: string): string {
  return TITLES[type] ?? type.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function detailText(details: Readonly<Record<string, unknown>>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

function filterQuery(view: Pick<AlertsView, 'severity' | 'state'>, offset = 0): string {
  const params = new URLSearchParams();
  if (view.severity !== undefined) params.set('severity', view.severity);
  params.set('status', view.state);
  if (offset > 0) params.set('offset', String(offset));
  return `/admin/alerts?${params}`;
}

function alertRow(a: AlertRow, view: AlertsView, csrf: string): SafeHtml {
  const details = detailText(a.details);
  const state =
    a.acknowledgedAtMs === null
      ? html`<form method="post" action="/admin/alerts/${a.id}/acknowledge" class="inline-form">
        ${csrfField(csrf)}
        ${view.severity === undefined ? '' : html`<input type="hidden" name="severity" value="${view.severity}">`}
        <input type="hidden" name="status" value="${view.state}">
        <button type="submit" class="btn btn-small btn-secondary" aria-label="Acknowledge: ${alertTitle(a.type)}">Acknowledge</button>
      </form>`
      : html`<span class="muted small">${badge('Acknowledged')}<br>${a.acknowledgedByEmail === null ? '' : html`by ${a.acknowledgedByEmail} `}${time(a.acknowledgedAtMs, { relative: true })}</span>`;
  return html`<tr${a.acknowledgedAtMs === null ? '' : html` class="row-muted"`}>
    <td data-label="Severity">${badge(a.severity, SEVERITY_TONE[a.severity])}</td>
    <td data-label="Alert" class="cell-primary"><span class="strong">${alertTitle(a.type)}</span>${details === '' ? '' : html`<div class="muted small details-text">${details}</div>`}</td>
    <td data-label="Subject">${a.subject === null ? html`<span class="muted">—</span>` : a.subjectEmail !== undefined ? a.subjectEmail : html`<span class="mono small">${a.subject}</span>`}</td>
    <td data-label="IP">${a.ip === null ? html`<span class="muted">—</span>` : html`<code>${a.ip}</code>`}</td>
    <td data-label="Raised">${time(a.createdAtMs, { relative: true })}</td>
    <td class="cell-actions" data-label="State">${state}</td>
  </tr>`;
}

export function adminAlertsPage(viewer: Viewer, view: AlertsView): SafeHtml {
  const summary = SEVERITIES.map(
    (
      s,
    ) => html`<a class="summary-tile tone-${SEVERITY_TONE[s]}" href="${filterQuery({ severity: s, state: 'open' })}">
      <span class="summary-value">${view.counts[s].unacknowledged}</span><span class="summary-label">${s.toLowerCase()} open</span></a>`,
  );
  return page({
    title: 'Alerts',
    viewer,
    section: 'admin-alerts',
    flash: view.flash,
    body: html`
      ${pageHeader('Alerts', 'Raised by the detectors: replayed revoked tokens, refresh-token theft, brute force, decoys touched.')}
      <div class="summary" aria-label="Open alerts by severity">${summary}</div>
      <section class="card card-flush" aria-label="Alerts">
        <form method="get" action="/admin/alerts" class="toolbar">
          <div class="field">
            <label for="alert-severity">Severity</label>
            <select id="alert-severity" name="severity">
              <option value="">All severities</option>
              ${SEVERITIES.map((s) => html`<option value="${s}"${view.severity === s ? raw(' selected') : ''}>${s}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="alert-status">State</label>
            <select id="alert-status" name="status">
              ${(['open', 'acknowledged', 'all'] as const).map((s) => html`<option value="${s}"${view.state === s ? raw(' selected') : ''}>${s === 'open' ? 'Open' : s === 'acknowledged' ? 'Acknowledged' : 'All'}</option>`)}
            </select>
          </div>
          <div class="field field-submit"><button type="submit" class="btn btn-secondary">Filter</button></div>
        </form>
        ${
          view.alerts.length === 0
            ? emptyState(
                'No alerts',
                view.state === 'open'
                  ? 'Nothing needs attention.'
                  : 'No alert matches these filters.',
              )
            : html`
        <table class="table responsive">
          <thead><tr><th scope="col">Severity</th><th scope="col">Alert</th><th scope="col">Subject</th><th scope="col">IP</th><th scope="col">Raised</th><th scope="col">State</th></tr></thead>
          <tbody>${view.alerts.map((a) => alertRow(a, view, viewer.csrf))}</tbody>
        </table>`
        }
        ${pager({ offset: view.offset, pageSize: view.pageSize, shown: view.alerts.length, hasMore: view.hasMore, href: (o) => filterQuery(view, o), label: 'Alert pages' })}
      </section>`,
  });
}

/** Small building blocks shared by the pages: times, badges, forms' CSRF field, confirmations. */
import { type Interpolation, type SafeHtml, html } from './html.js';

/** The hidden anti-CSRF field every state-changing form carries. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

function fallbackText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A point in time: ISO in `datetime` (and a UTC fallback as text); app.js rewrites the text in the
 * reader's locale and time zone with Intl (`relative`: "5 minutes ago", the full date in a tooltip).
 */
export function time(
  ms: number | null | undefined,
  options: { relative?: boolean; empty?: string } = {},
): SafeHtml {
  if (ms === null || ms === undefined)
    return html`<span class="muted">${options.empty ?? '—'}</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" data-format="${options.relative === true ? 'relative' : 'datetime'}" title="${fallbackText(ms)}">${fallbackText(ms)}</time>`;
}

export type Tone = 'neutral' | 'success' | 'danger' | 'warning' | 'info' | 'accent';

export function badge(text: string, tone: Tone = 'neutral'): SafeHtml {
  return html`<span class="badge badge-${tone}">${text}</span>`;
}

export function pageHeader(
  title: string,
  description?: Interpolation,
  actions?: Interpolation,
): SafeHtml {
  return html`<div class="page-header">
    <div><h1>${title}</h1>${description === undefined ? '' : html`<p class="lead">${description}</p>`}</div>
    ${actions === undefined ? '' : html`<div class="page-actions">${actions}</div>`}
  </div>`;
}

export interface ConfirmSpec {
  /** Element id of the dialog (also used for its heading id). */
  readonly id: string;
  /** Where the trigger link goes without JavaScript: a page with the same form. */
  readonly fallbackHref: string;
  /** Where Cancel leads on the no-JavaScript page. */
  readonly cancelHref: string;
  readonly triggerLabel: string;
  readonly triggerClass?: string;
  /** Accessible name of the trigger when its label is not enough (e.g. names the token). */
  readonly triggerAriaLabel?: string;
  readonly title: string;
  readonly message: Interpolation;
  /** The POST target. */
  readonly action: string;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly csrf: string;
  /** Extra form controls (e.g. a reason). */
  readonly fields?: Interpolation;
}

function confirmForm(spec: ConfirmSpec, inDialog: boolean): SafeHtml {
  const titleId = `${spec.id}-title`;
  const cancel = inDialog
    ? html`<button type="submit" class="btn btn-secondary" formmethod="dialog" formnovalidate value="cancel" autofocus>Cancel</button>`
    : html`<a class="btn btn-secondary" href="${spec.cancelHref}">Cancel</a>`;
  return html`<form method="post" action="${spec.action}" class="confirm-form">
      ${csrfField(spec.csrf)}
      <h2 id="${titleId}" class="confirm-title">${spec.title}</h2>
      <div class="confirm-message">${spec.message}</div>
      ${spec.fields ?? ''}
      <div class="confirm-actions">
        ${cancel}
        <button type="submit" class="btn ${spec.danger === false ? 'btn-primary' : 'btn-danger'}" data-confirm-button>${spec.confirmLabel}</button>
      </div>
    </form>`;
}

/**
 * A destructive action behind a real confirmation: a link that, with JavaScript, opens a modal
 * <dialog> holding the POST form (Cancel closes it, Escape too, and focus starts on Cancel); without
 * JavaScript the link leads to a page with the same form. Nothing is changed until the form posts.
 */
export function confirmAction(spec: ConfirmSpec): { trigger: SafeHtml; dialog: SafeHtml } {
  const trigger = html`<a class="${spec.triggerClass ?? 'btn btn-danger-outline'}" href="${spec.fallbackHref}" data-dialog="${spec.id}" role="button"${
    spec.triggerAriaLabel === undefined ? '' : html` aria-label="${spec.triggerAriaLabel}"`
  }>${spec.triggerLabel}</a>`;
  const dialog = html`<dialog id="${spec.id}" class="dialog" aria-labelledby="${spec.id}-title">${confirmForm(spec, true)}</dialog>`;
  return { trigger, dialog };
}

/** The same confirmation as a page (the no-JavaScript path). */
export function confirmPanel(spec: ConfirmSpec): SafeHtml {
  return html`<section class="card confirm-card" aria-labelledby="${spec.id}-title">${confirmForm(spec, false)}</section>`;
}

/** An empty-state message inside a card. */
export function emptyState(title: string, text: Interpolation): SafeHtml {
  return html`<div class="empty"><p class="empty-title">${title}</p><p class="muted">${text}</p></div>`;
}

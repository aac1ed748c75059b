/** Previous / next links for offset-paged lists. */
import { type SafeHtml, html } from '../html.js';

export function pager(options: {
  offset: number;
  pageSize: number;
  shown: number;
  hasMore: boolean;
  href: (offset: number) => string;
  label: string;
  newerOlder?: boolean;
}): SafeHtml {
  const { offset, pageSize, hasMore } = options;
  if (offset === 0 && !hasMore) return html``;
  const [prevLabel, nextLabel] =
    options.newerOlder === true ? ['← Newer', 'Older →'] : ['← Previous', 'Next →'];
  const prev =
    offset > 0
      ? html`<a class="btn btn-secondary btn-small" href="${options.href(Math.max(0, offset - pageSize))}" rel="prev">${prevLabel}</a>`
      : html`<span></span>`;
  const next = hasMore
    ? html`<a class="btn btn-secondary btn-small" href="${options.href(offset + pageSize)}" rel="next">${nextLabel}</a>`
    : html`<span></span>`;
  return html`<nav class="pager" aria-label="${options.label}">${prev}<span class="muted small">${options.shown === 0 ? 'none' : `${offset + 1}–${offset + options.shown}`}</span>${next}</nav>`;
}

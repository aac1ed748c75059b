/**
 * HTML templating that escapes by default: every value interpolated into an `html` template is
 * escaped for text and quoted-attribute contexts, unless it is itself the result of `html` (already
 * safe) or explicitly wrapped in `raw()` (trusted, never user-supplied). Templates must quote every
 * attribute value, and never put an interpolation inside a `<script>`, a `style` or an event
 * handler attribute — the CSP forbids those anyway.
 *
 * @example
 *   html`<td>${token.name}</td>`            // `<img src=x>` renders as text
 *   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`
 */

/** A fragment of HTML that is safe to emit as is. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Anything a template accepts: false/null/undefined render nothing; arrays render each item. */
export type Interpolation =
  SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string);
}

/** Marks a trusted, constant fragment as HTML. Never pass user-supplied text. */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

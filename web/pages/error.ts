/** A full-page error for the UI (refused request, not found, unavailable). */
import { type SafeHtml, html } from '../html.js';
import { type Viewer, page } from '../layout.js';

export function errorPage(options: {
  status: number;
  title: string;
  message: string;
  viewer?: Viewer | undefined;
}): SafeHtml {
  return page({
    title: options.title,
    viewer: options.viewer,
    bare: options.viewer === undefined,
    body: html`<div class="auth-wrap"><section class="card error-card" aria-labelledby="error-title">
      <p class="error-status">${options.status}</p>
      <h1 id="error-title">${options.title}</h1>
      <p class="muted">${options.message}</p>
      <p><a class="btn btn-primary" href="/">Go to your account</a></p>
    </section></div>`,
  });
}

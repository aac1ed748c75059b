/**
 * Web UI answers: server-rendered pages and 303 redirects (SPEC §8). Tagged WEB_UI_TAG: they
 * validate requests like every schema, but /openapi.json describes the API only.
 */
import { Type } from '@sinclair/typebox';
import { WEB_UI_TAG } from '../openapi.js';

/** An HTML page (text/html); errors in the UI are pages too. */
export const HtmlPage = (description: string) => ({
  description,
  content: { 'text/html': { schema: Type.String() } },
});

/** 303 See Other, no body; `Location` says where. */
export const Redirect = (description: string) =>
  Type.Null({ description: `303 See Other: ${description}` });

/** Every UI route may answer an error page (4xx/5xx), or a redirect to /login when not signed in. */
export const WEB_ERROR_RESPONSES = {
  '4xx': HtmlPage('An error page'),
  '5xx': HtmlPage('An error page'),
} as const;

/**
 * A field of a UI form or query. The UI is lenient by design (a field sent twice counts as absent
 * and the page says what is missing), so a list is allowed here rather than refused as a 400.
 */
export const FormField = (description: string) =>
  Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));

/** The anti-CSRF field every UI form post carries. */
export const CSRF_FIELD = {
  _csrf: FormField('The anti-CSRF token of the page the form came from'),
};

const WEB_SESSION = [{ webSession: [] as string[] }];

/** A UI page (GET): the page, or a redirect (to /login when signed out, or on to where it belongs). */
export const pageSchema = (
  summary: string,
  more: { params?: unknown; querystring?: unknown; signedIn?: boolean } = {},
) => ({
  tags: [WEB_UI_TAG],
  summary,
  security: more.signedIn === false ? [] : WEB_SESSION,
  ...(more.params === undefined ? {} : { params: more.params }),
  ...(more.querystring === undefined ? {} : { querystring: more.querystring }),
  response: {
    200: HtmlPage(summary),
    303: Redirect('to /login when not signed in, or to the page that applies'),
    ...WEB_ERROR_RESPONSES,
  },
});

/** A UI form post: redirects after success (303), or the page again with the problem (4xx). */
export const formSchema = (
  summary: string,
  fields: Record<string, unknown>,
  more: { params?: unknown; signedIn?: boolean; page?: number } = {},
) => ({
  tags: [WEB_UI_TAG],
  summary,
  security: more.signedIn === false ? [] : WEB_SESSION,
  consumes: ['application/x-www-form-urlencoded'],
  body: Type.Object({ ...(more.signedIn === false ? {} : CSRF_FIELD), ...fields } as Record<
    string,
    never
  >),
  ...(more.params === undefined ? {} : { params: more.params }),
  response: {
    ...(more.page === undefined ? {} : { [more.page]: HtmlPage('The result page') }),
    303: Redirect('where to go next (the flash message says what happened)'),
    ...WEB_ERROR_RESPONSES,
  },
});

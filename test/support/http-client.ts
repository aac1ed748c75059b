/** Small helpers for talking to a running revokd over HTTP in tests. */
export interface JsonResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export async function request<T = any>(
  url: string,
  init: RequestInit & { json?: unknown; form?: Record<string, string>; bearer?: string } = {},
): Promise<JsonResponse<T>> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  if (init.form !== undefined) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(init.form).toString();
  }
  if (init.bearer !== undefined) headers.set('authorization', `Bearer ${init.bearer}`);
  const res = await fetch(url, { ...init, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export interface LoginResult {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly session_id: string;
  readonly expires_in: number;
}

export async function login(
  base: string,
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<LoginResult> {
  const res = await request<LoginResult>(`${base}/api/v1/auth/login`, {
    method: 'POST',
    json: { email, password },
    headers,
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function createUserViaAdmin(
  base: string,
  adminToken: string,
  email: string,
  password: string,
): Promise<{ id: string }> {
  const res = await request(`${base}/api/v1/admin/users`, {
    method: 'POST',
    bearer: adminToken,
    json: { email, password },
  });
  if (res.status !== 201) throw new Error(`create user failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function createClientViaAdmin(
  base: string,
  adminToken: string,
  name: string,
  scopes: string[] = [],
): Promise<{ client_id: string; client_secret: string }> {
  const res = await request(`${base}/api/v1/admin/clients`, {
    method: 'POST',
    bearer: adminToken,
    json: { name, scopes },
  });
  if (res.status !== 201) throw new Error(`create client failed: ${res.status} ${res.text}`);
  return res.body;
}

export async function introspect(
  base: string,
  client: { client_id: string; client_secret: string },
  token: string,
): Promise<JsonResponse> {
  return request(`${base}/oauth/introspect`, {
    method: 'POST',
    form: { token },
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
    },
  });
}

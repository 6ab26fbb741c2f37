import { ADMIN_KEY } from './app.ts';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** A raw body string, sent as is. */
  raw?: string;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

/** One HTTP call to the local gateway; parses JSON answers. */
export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, text, body: type.includes('json') && text ? JSON.parse(text) : text };
}

/** Creates an account with one API key and, optionally, an opening top-up. */
export async function newCustomer(baseUrl: string, credits = 0, plan?: string, email = 'owner@test.example') {
  const account = await call(baseUrl, 'POST', '/v1/accounts', {
    token: ADMIN_KEY,
    body: { name: 'Test Co', email, ...(plan ? { plan } : {}) },
  });
  if (account.status !== 201) throw new Error(`account: ${account.status} ${account.text}`);
  const key = await call(baseUrl, 'POST', `/v1/accounts/${account.body.id}/keys`, { token: ADMIN_KEY, body: { name: 'test' } });
  if (key.status !== 201) throw new Error(`key: ${key.status} ${key.text}`);
  if (credits > 0) {
    const topUp = await call(baseUrl, 'POST', `/v1/accounts/${account.body.id}/top-ups`, {
      token: ADMIN_KEY,
      body: { credits },
      idempotencyKey: `opening-${account.body.id}`,
    });
    if (topUp.status !== 201) throw new Error(`top-up: ${topUp.status} ${topUp.text}`);
  }
  return { accountId: account.body.id as string, keyId: key.body.id as string, apiKey: key.body.key as string };
}

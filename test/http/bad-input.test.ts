import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_BASE } from '../../functions/shared/errors.ts';
import { type LinkClaims, type LinkPurpose, signLink } from '../../functions/shared/signed-links.ts';
import { ADMIN_KEY, LINK_SECRET, startTestApp, type TestApp, tableSnapshot } from '../support/app.ts';
import { type CallOptions, call, newCustomer } from '../support/http.ts';

/**
 * The bad-input corpus: every request below is refused with a 4xx problem+json and leaves the
 * table exactly as it was. None of them is a valid request in disguise (e.g. `1e3` is the JSON
 * number 1000, a valid integer, so it only appears where 1000 itself is out of range).
 */

let app: TestApp;
/** Has credits, a completed query and a scheduled reminder. */
let rich: Awaited<ReturnType<typeof newCustomer>>;
/** Has no credits, a parked query, and a revoked key that was used before it was revoked. */
let poor: Awaited<ReturnType<typeof newCustomer>>;
let revoked: { id: string; key: string };
let completedQueryId: string;
let parkedQueryId: string;
let reminderId: string;

beforeAll(async () => {
  app = await startTestApp();
  rich = await newCustomer(app.url, 50);
  poor = await newCustomer(app.url, 0);
  const key = await call(app.url, 'POST', `/v1/accounts/${poor.accountId}/keys`, { token: ADMIN_KEY, body: { name: 'old laptop' } });
  revoked = { id: key.body.id, key: key.body.key };
  expect((await call(app.url, 'GET', '/v1/balance', { token: revoked.key })).status).toBe(200); // its owner is now cached
  expect((await call(app.url, 'DELETE', `/v1/accounts/${poor.accountId}/keys/${revoked.id}`, { token: ADMIN_KEY })).status).toBe(204);
  const completed = await call(app.url, 'POST', '/v1/queries', { token: rich.apiKey, body: { operation: 'search', input: { q: 'valve' } } });
  expect(completed.status).toBe(200);
  completedQueryId = completed.body.id;
  const parked = await call(app.url, 'POST', '/v1/queries', { token: poor.apiKey, body: { operation: 'report' } });
  expect(parked.status).toBe(402);
  parkedQueryId = parked.body.query.id;
  const reminder = await call(app.url, 'POST', '/v1/reminders', { token: rich.apiKey, body: { after: 'P1D' } });
  expect(reminder.status).toBe(201);
  reminderId = reminder.body.id;
});
afterAll(() => app.stop());

// ---- request builders (evaluated per case, after the fixtures exist) ----

const JSON_TYPE = { 'Content-Type': 'application/json' };
const FORM_TYPE = { 'Content-Type': 'application/x-www-form-urlencoded' };
const NO_ACCOUNT = `acc_${'Z'.repeat(16)}`;
const WELL_FORMED_UNKNOWN_KEY = `tg_${'A'.repeat(43)}`;

const admin = (options: CallOptions = {}): CallOptions => ({ token: ADMIN_KEY, ...options });
const client = (options: CallOptions = {}): CallOptions => ({ token: rich.apiKey, ...options });
/** A raw JSON text, sent as `application/json`. */
const raw = (text: string, options: CallOptions = {}): CallOptions => ({ raw: text, ...options, headers: { ...JSON_TYPE, ...options.headers } });
const topUps = () => `/v1/accounts/${rich.accountId}/top-ups`;
const debits = () => `/v1/accounts/${rich.accountId}/debits`;
const account = (suffix = '') => `/v1/accounts/${rich.accountId}${suffix}`;
/** An admin top-up / debit with this body and a fresh Idempotency-Key. */
const adminTopUp = (body: unknown) => admin({ body, idempotencyKey: 'bad-input-top-up' });
const adminRawTopUp = (text: string) => admin(raw(text, { idempotencyKey: 'bad-input-top-up' }));
const adminDebit = (body: unknown) => admin({ body, idempotencyKey: 'bad-input-debit' });
const search = (input: unknown) => client({ body: { operation: 'search', input } });

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** A signed link token; by default for the rich account, valid for an hour. */
const link = (purpose: LinkPurpose, claims: Partial<LinkClaims> = {}, secret = LINK_SECRET) =>
  signLink({ purpose, accountId: rich.accountId, exp: nowSeconds() + 3600, ...claims } as LinkClaims, secret);
const expired = (purpose: LinkPurpose) => link(purpose, { exp: nowSeconds() - 60 });
const tampered = (token: string) => `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
/** The rich account's usage link with its payload rewritten to name the poor account, signature kept. */
const reassigned = () => {
  const [, signature] = link('usage').split('.');
  const payload = Buffer.from(JSON.stringify({ purpose: 'usage', accountId: poor.accountId, exp: nowSeconds() + 3600 })).toString('base64url');
  return `${payload}.${signature}`;
};
/** A token correctly signed with the link secret whose payload is exactly this text. */
const signedPayload = (text: string) => {
  const payload = Buffer.from(text).toString('base64url');
  return `${payload}.${createHmac('sha256', LINK_SECRET).update(payload).digest('base64url')}`;
};
const oneClick = (): CallOptions => ({ raw: 'List-Unsubscribe=One-Click', headers: FORM_TYPE });
const remindForm = (body: string): CallOptions => ({ raw: body, headers: FORM_TYPE });

// ---- the corpus ----

type Case = [name: string, method: string, path: () => string, options: () => CallOptions, status: number];

const corpus: Record<string, Case[]> = {
  'malformed and truncated JSON': [
    ['malformed JSON', 'POST', () => '/v1/queries', () => client(raw('{"operation":')), 400],
    ['truncated JSON', 'POST', () => '/v1/queries', () => client(raw('{"operation":"search","input":{"q":"bo')), 400],
    ['a truncated top-up', 'POST', topUps, () => adminRawTopUp('{"credits":5'), 400],
    ['a trailing comma', 'POST', topUps, () => adminRawTopUp('{"credits":5,}'), 400],
    ['single-quoted JSON', 'POST', () => '/v1/accounts', () => admin(raw("{'name':'Ada','email':'ada@example.com'}")), 400],
    ['trailing garbage after the JSON', 'PATCH', () => account(), () => admin(raw('{"plan":"free"} x')), 400],
    ['a NaN literal', 'POST', debits, () => admin(raw('{"credits":NaN,"operation":"x"}', { idempotencyKey: 'nan' })), 400],
    ['a comment in the JSON', 'POST', () => '/v1/reminders', () => client(raw('{"after":"P1D" /* soon */}')), 400],
    ['a JSON array body', 'POST', () => '/v1/queries', () => client(raw('[]')), 400],
    ['a JSON string body', 'POST', () => '/v1/queries', () => client(raw('"search"')), 400],
    ['a JSON null body', 'PUT', () => '/v1/alerts', () => client(raw('null')), 400],
    ['a whitespace-only body', 'POST', topUps, () => adminRawTopUp(' \n\t '), 400],
    ['no body where one is required', 'POST', topUps, () => admin({ idempotencyKey: 'no-body' }), 400],
    ['invalid UTF-8', 'POST', () => '/v1/queries', () => client(raw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1'))), 400],
    ['arrays nested 8,000 deep', 'POST', () => '/v1/queries', () => client(raw(`{"operation":"search","input":${'['.repeat(8000)}${']'.repeat(8000)}}`)), 400],
    [
      'objects nested 2,500 deep in a query',
      'POST',
      () => '/v1/queries',
      () => client(raw(`{"operation":"search","input":${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}}`)),
      400,
    ],
    ['objects nested 2,500 deep in an account', 'POST', () => '/v1/accounts', () => admin(raw(`{"name":${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}}`)), 400],
    ['a duplicate key whose last value is invalid', 'POST', topUps, () => adminRawTopUp('{"credits":5,"credits":-5}'), 400],
    ['a duplicate key that would credit a million', 'POST', topUps, () => adminRawTopUp('{"credits":1,"credits":1000000}'), 400],
    [
      'a duplicate key spelled with an escape',
      'POST',
      debits,
      () => admin(raw('{"credits":1,"operation":"x","cr\\u0065dits":2}', { idempotencyKey: 'dup' })),
      400,
    ],
    ['a duplicate key inside a query input', 'POST', () => '/v1/queries', () => client(raw('{"operation":"search","input":{"q":"a","q":"b"}}')), 400],
    ['a duplicate key in a new account', 'POST', () => '/v1/accounts', () => admin(raw('{"name":"A","email":"a@example.com","name":"B"}')), 400],
  ],

  'content types and sizes': [
    ['text/plain', 'POST', () => '/v1/queries', () => client({ raw: 'operation=search', headers: { 'Content-Type': 'text/plain' } }), 415],
    ['a form body', 'POST', () => '/v1/queries', () => client({ raw: 'operation=search', headers: FORM_TYPE }), 415],
    [
      'application/jsonp',
      'POST',
      topUps,
      () => admin({ raw: '{"credits":5}', headers: { 'Content-Type': 'application/jsonp' }, idempotencyKey: 'jsonp' }),
      415,
    ],
    ['text/json', 'PUT', () => '/v1/alerts', () => client({ raw: '{"enabled":false}', headers: { 'Content-Type': 'text/json' } }), 415],
    [
      'multipart/form-data',
      'POST',
      () => '/v1/reminders',
      () => client({ raw: '--x\r\n\r\nP1D\r\n--x--', headers: { 'Content-Type': 'multipart/form-data; boundary=x' } }),
      415,
    ],
    [
      'application/xml',
      'POST',
      debits,
      () => admin({ raw: '<debit credits="1"/>', headers: { 'Content-Type': 'application/xml' }, idempotencyKey: 'xml' }),
      415,
    ],
    [
      'JSON sent as application/octet-stream',
      'PATCH',
      () => account(),
      () => admin({ raw: '{"plan":"free"}', headers: { 'Content-Type': 'application/octet-stream' } }),
      415,
    ],
    ['an oversized query', 'POST', () => '/v1/queries', () => search({ q: 'x'.repeat(20_000) }), 413],
    ['an oversized account', 'POST', () => '/v1/accounts', () => admin({ body: { name: 'x'.repeat(17_000), email: 'ada@example.com' } }), 413],
  ],

  'wrong types': [
    ['credits as a string', 'POST', topUps, () => adminTopUp({ credits: '10' }), 400],
    ['credits as a boolean', 'POST', topUps, () => adminTopUp({ credits: true }), 400],
    ['credits as null', 'POST', topUps, () => adminTopUp({ credits: null }), 400],
    ['credits as an array', 'POST', debits, () => adminDebit({ credits: [10], operation: 'search' }), 400],
    ['credits as an object', 'POST', debits, () => adminDebit({ credits: { amount: 10 }, operation: 'search' }), 400],
    ['an operation as a number', 'POST', () => '/v1/queries', () => client({ body: { operation: 1 } }), 400],
    ['an account name as a number', 'POST', () => '/v1/accounts', () => admin({ body: { name: 42, email: 'ada@example.com' } }), 400],
    ['a plan as null', 'PATCH', () => account(), () => admin({ body: { plan: null } }), 400],
    ['alerts enabled as "yes"', 'PUT', () => '/v1/alerts', () => client({ body: { enabled: 'yes' } }), 400],
    ['thresholds as a string', 'PUT', () => account('/alerts'), () => admin({ body: { thresholds: '50,20' } }), 400],
    ['a reminder delay in seconds', 'POST', () => '/v1/reminders', () => client({ body: { after: 86_400 } }), 400],
    ['a search limit as a string', 'POST', () => '/v1/queries', () => search({ q: 'valve', limit: '5' }), 400],
    ['a search input as a string', 'POST', () => '/v1/queries', () => client({ body: { operation: 'search', input: 'valve' } }), 400],
  ],

  'numbers: negative, fractional, exponent, huge': [
    ['negative credits', 'POST', topUps, () => adminTopUp({ credits: -5 }), 400],
    ['zero credits', 'POST', topUps, () => adminTopUp({ credits: 0 }), 400],
    ['negative zero credits', 'POST', debits, () => admin(raw('{"credits":-0,"operation":"search"}', { idempotencyKey: 'neg-zero' })), 400],
    ['fractional credits', 'POST', debits, () => adminDebit({ credits: 2.5, operation: 'search' }), 400],
    ['a small exponent (1e-3)', 'POST', topUps, () => adminRawTopUp('{"credits":1e-3}'), 400],
    ['a fractional exponent (125e-2)', 'POST', topUps, () => adminRawTopUp('{"credits":125e-2}'), 400],
    ['credits in exponent overflow (1e400)', 'POST', debits, () => admin(raw('{"credits":1e400,"operation":"x"}', { idempotencyKey: 'e1' })), 400],
    ['negative exponent overflow (-1e400)', 'POST', topUps, () => adminRawTopUp('{"credits":-1e400}'), 400],
    ['an exponent above the maximum (1e10)', 'POST', topUps, () => adminRawTopUp('{"credits":1e10}'), 400],
    ['one over the maximum', 'POST', topUps, () => adminTopUp({ credits: 1_000_000_001 }), 400],
    ['beyond the safe integers', 'POST', topUps, () => adminRawTopUp('{"credits":9007199254740993}'), 400],
    [
      'a search limit of 1e3 (the valid number 1000, above 50)',
      'POST',
      () => '/v1/queries',
      () => client(raw('{"operation":"search","input":{"q":"valve","limit":1e3}}')),
      400,
    ],
    ['a search limit of 0', 'POST', () => '/v1/queries', () => search({ q: 'valve', limit: 0 }), 400],
    ['a 0 % threshold', 'PUT', () => '/v1/alerts', () => client({ body: { thresholds: [0] } }), 400],
    ['a 100 % threshold', 'PUT', () => '/v1/alerts', () => client({ body: { thresholds: [100] } }), 400],
    ['a fractional threshold', 'PUT', () => account('/alerts'), () => admin({ body: { thresholds: [50.5] } }), 400],
    ['a repeated threshold', 'PUT', () => '/v1/alerts', () => client({ body: { thresholds: [20, 20] } }), 400],
    ['six thresholds', 'PUT', () => '/v1/alerts', () => client({ body: { thresholds: [60, 50, 40, 30, 20, 10] } }), 400],
    ['no thresholds', 'PUT', () => '/v1/alerts', () => client({ body: { thresholds: [] } }), 400],
  ],

  'strings: overlong, empty, unicode and control characters': [
    ['an overlong account name', 'POST', () => '/v1/accounts', () => admin({ body: { name: 'x'.repeat(201), email: 'ada@example.com' } }), 400],
    ['a whitespace-only account name', 'POST', () => '/v1/accounts', () => admin({ body: { name: ' \t ', email: 'ada@example.com' } }), 400],
    ['a NUL in an account name', 'POST', () => '/v1/accounts', () => admin({ body: { name: 'Ada\u0000Labs', email: 'ada@example.com' } }), 400],
    ['ANSI escapes in an account name', 'POST', () => '/v1/accounts', () => admin({ body: { name: '\u001b[31mAda\u0007', email: 'ada@example.com' } }), 400],
    [
      'a C1 control character in an account name',
      'POST',
      () => '/v1/accounts',
      () => admin({ body: { name: 'Ada\u0085Labs', email: 'ada@example.com' } }),
      400,
    ],
    ['a newline in a key name', 'POST', () => account('/keys'), () => admin({ body: { name: 'lap\ntop' } }), 400],
    ['a lone surrogate in an account name', 'POST', () => '/v1/accounts', () => admin({ body: { name: 'Ada\ud800', email: 'ada@example.com' } }), 400],
    ['a bidi override in an account name', 'POST', () => '/v1/accounts', () => admin({ body: { name: 'Ada\u202Egnp.exe', email: 'ada@example.com' } }), 400],
    ['a NUL in a search', 'POST', () => '/v1/queries', () => client({ body: { operation: 'search', input: { q: 'a\u0000' } } }), 400],
    ['a NUL in a top-up reference', 'POST', topUps, () => adminTopUp({ credits: 5, reference: 'inv\u00000042' }), 400],
    ['an overlong top-up reference', 'POST', topUps, () => adminTopUp({ credits: 5, reference: 'r'.repeat(201) }), 400],
    ['an invalid email', 'POST', () => '/v1/accounts', () => admin({ body: { name: 'Ada', email: 'not-an-email' } }), 400],
    ['an overlong email', 'POST', () => '/v1/accounts', () => admin({ body: { name: 'Ada', email: `${'a'.repeat(64)}@${'b'.repeat(186)}.com` } }), 400],
    ['an email with a header injection', 'PUT', () => '/v1/alerts', () => client({ body: { email: 'ada@example.com\r\nBcc: all@example.com' } }), 400],
    ['an overlong plan', 'PATCH', () => account(), () => admin({ body: { plan: 'p'.repeat(65) } }), 400],
    ['an unknown plan', 'POST', () => '/v1/accounts', () => admin({ body: { name: 'Ada', email: 'ada@example.com', plan: 'free-forever' } }), 400],
    ['an upper-case operation', 'POST', () => '/v1/queries', () => client({ body: { operation: 'SEARCH' } }), 400],
    ['an operation with unicode', 'POST', debits, () => adminDebit({ credits: 1, operation: 'sëarch' }), 400],
    ['an operation with a zero-width space', 'POST', () => '/v1/queries', () => client({ body: { operation: 'se\u200Barch' } }), 400],
    ['an operation with an emoji', 'POST', debits, () => adminDebit({ credits: 1, operation: 'search🔥' }), 400],
    ['an operation with a NUL', 'POST', () => '/v1/queries', () => client({ body: { operation: 'search\u0000' } }), 400],
    ['an overlong operation', 'POST', debits, () => adminDebit({ credits: 1, operation: `a${'b'.repeat(63)}` }), 400],
    ['an unknown operation', 'POST', () => '/v1/queries', () => client({ body: { operation: 'delete_all' } }), 400],
    ['an empty search', 'POST', () => '/v1/queries', () => search({ q: '   ' }), 400],
    ['an overlong search', 'POST', () => '/v1/queries', () => search({ q: 'q'.repeat(101) }), 400],
    ['a reminder in months', 'POST', () => '/v1/reminders', () => client({ body: { after: 'P1M' } }), 400],
    ['a reminder under an hour', 'POST', () => '/v1/reminders', () => client({ body: { after: 'PT30M' } }), 400],
    ['a reminder over 30 days', 'POST', () => '/v1/reminders', () => client({ body: { after: 'P31D' } }), 400],
    ['an overlong reminder delay', 'POST', () => '/v1/reminders', () => client({ body: { after: `P${'0'.repeat(32)}D` } }), 400],
  ],

  'unknown fields and hostile keys': [
    ['a balance on a new account', 'POST', () => '/v1/accounts', () => admin({ body: { name: 'Ada', email: 'ada@example.com', balance: 1_000_000 } }), 400],
    ['an id on a new account', 'POST', () => '/v1/accounts', () => admin({ body: { id: rich.accountId, name: 'Ada', email: 'ada@example.com' } }), 400],
    ['an accountId on a top-up', 'POST', topUps, () => adminTopUp({ credits: 5, accountId: poor.accountId }), 400],
    ['a price on a query', 'POST', () => '/v1/queries', () => client({ body: { operation: 'search', input: { q: 'valve' }, credits: 0 } }), 400],
    ['an unknown search option', 'POST', () => '/v1/queries', () => search({ q: 'valve', price: 0 }), 400],
    ['a chosen key on a new API key', 'POST', () => account('/keys'), () => admin({ body: { key: WELL_FORMED_UNKNOWN_KEY } }), 400],
    ['a baseline in alert settings', 'PUT', () => '/v1/alerts', () => client({ body: { baseline: 1_000_000 } }), 400],
    ['a __proto__ key on a top-up', 'POST', topUps, () => adminRawTopUp('{"credits":5,"__proto__":{"credits":500}}'), 400],
    [
      'a __proto__ key in a search',
      'POST',
      () => '/v1/queries',
      () => client(raw('{"operation":"search","input":{"q":"valve","__proto__":{"limit":50}}}')),
      400,
    ],
    ['a constructor key in alert settings', 'PUT', () => account('/alerts'), () => admin(raw('{"constructor":{"prototype":{"enabled":false}}}')), 400],
    ['an overlong unknown key', 'PATCH', () => account(), () => admin({ body: { plan: 'free', ['k'.repeat(5000)]: 1 } }), 400],
  ],

  'Idempotency-Key': [
    ['a top-up without one', 'POST', topUps, () => admin({ body: { credits: 5 } }), 400],
    ['a debit without one', 'POST', debits, () => admin({ body: { credits: 1, operation: 'search' } }), 400],
    ['an empty one', 'POST', topUps, () => admin({ body: { credits: 5 }, headers: { 'Idempotency-Key': '' } }), 400],
    ['one of 256 characters', 'POST', topUps, () => admin({ body: { credits: 5 }, idempotencyKey: 'k'.repeat(256) }), 400],
    [
      'one of 256 characters on a query',
      'POST',
      () => '/v1/queries',
      () => client({ body: { operation: 'search', input: { q: 'valve' } }, idempotencyKey: 'k'.repeat(256) }),
      400,
    ],
    ['one with a space', 'POST', debits, () => admin({ body: { credits: 1, operation: 'search' }, idempotencyKey: 'invoice 42' }), 400],
    ['one with a tab', 'POST', () => '/v1/queries', () => client({ body: { operation: 'report' }, idempotencyKey: 'a\tb' }), 400],
    ['one reused for a different top-up', 'POST', topUps, () => admin({ body: { credits: 51 }, idempotencyKey: `opening-${rich.accountId}` }), 422],
  ],

  'path and query injection': [
    ['a path traversal query id', 'GET', () => '/v1/queries/..%2F..%2Fadmin', () => client(), 400],
    ['an SQL injection in a query id', 'GET', () => "/v1/queries/q_1'%20OR%201=1", () => client(), 400],
    ['a path traversal account id', 'GET', () => '/v1/accounts/..%2F..%2Fhealth', () => admin(), 400],
    ['an expression injection in an account id', 'POST', () => "/v1/accounts/acc_'%20OR%20'1'='1/top-ups", () => adminTopUp({ credits: 5 }), 400],
    ['a short account id', 'PATCH', () => '/v1/accounts/acc_123', () => admin({ body: { plan: 'free' } }), 400],
    ['a NUL in an account id', 'GET', () => `/v1/accounts/acc_${'a'.repeat(15)}%00/ledger`, () => admin(), 400],
    ['a malformed key id', 'DELETE', () => account('/keys/key_%2A'), () => admin(), 400],
    ['a malformed reminder id', 'DELETE', () => '/v1/reminders/rem_$ne', () => client(), 400],
    ['broken percent-encoding', 'GET', () => '/v1/accounts/%E0%A4%A', () => admin(), 404],
    ['an unknown route', 'GET', () => '/v1/nothing-here', () => client(), 404],
    ['a wrong method', 'PUT', () => '/v1/balance', () => client(), 405],
    ['a method that is not a route', 'DELETE', () => account(), () => admin(), 405],
    ['an unknown query parameter', 'GET', () => account('/ledger?admin=true'), () => admin(), 400],
    ['a repeated limit', 'GET', () => account('/ledger?limit=5&limit=6'), () => admin(), 400],
    ['a limit of 0', 'GET', () => account('/ledger?limit=0'), () => admin(), 400],
    ['a limit of 101', 'GET', () => account('/ledger?limit=101'), () => admin(), 400],
    ['a fractional limit', 'GET', () => account('/ledger?limit=2.5'), () => admin(), 400],
    ['an empty limit', 'GET', () => account('/ledger?limit='), () => admin(), 400],
    ['an overflowing limit', 'GET', () => account('/ledger?limit=1e400'), () => admin(), 400],
    ['an injected cursor', 'GET', () => account("/ledger?cursor=1'%20OR%201=1"), () => admin(), 400],
    ['a cursor of 0', 'GET', () => account('/ledger?cursor=0'), () => admin(), 400],
    ['a usage range that is not a date', 'GET', () => '/v1/usage?from=yesterday', () => client(), 400],
    ['a usage date that does not exist', 'GET', () => '/v1/usage?from=2026-02-30', () => client(), 400],
    ['a usage date-time without a zone', 'GET', () => '/v1/usage?from=2026-01-01T00:00:00', () => client(), 400],
    ['a usage range ending before it starts', 'GET', () => '/v1/usage?from=2026-02-01&to=2026-01-01', () => client(), 400],
    ['a usage range over 366 days', 'GET', () => '/v1/usage?from=2020-01-01&to=2026-01-01', () => client(), 400],
    ['an unknown usage parameter', 'GET', () => '/v1/usage?account=acc_0000000000000000', () => client(), 400],
  ],

  'credentials: missing, malformed, revoked, wrong account, wrong kind': [
    ['no Authorization', 'POST', () => '/v1/queries', () => ({ body: { operation: 'search', input: { q: 'a' } } }), 401],
    ['Basic auth', 'GET', () => '/v1/balance', () => ({ headers: { Authorization: 'Basic dXNlcjpwYXNz' } }), 401],
    ['an empty bearer', 'GET', () => '/v1/balance', () => ({ headers: { Authorization: 'Bearer ' } }), 401],
    ['a malformed API key', 'GET', () => '/v1/prices', () => ({ token: 'tg_short' }), 401],
    ['a well-formed unknown API key', 'POST', () => '/v1/queries', () => ({ token: WELL_FORMED_UNKNOWN_KEY, body: { operation: 'report' } }), 401],
    ['an overlong bearer', 'GET', () => '/v1/balance', () => ({ token: `tg_${'A'.repeat(600)}` }), 401],
    ['a wrong admin key', 'POST', () => '/v1/accounts', () => ({ token: `${ADMIN_KEY}x`, body: { name: 'Ada', email: 'ada@example.com' } }), 401],
    ['a revoked key reading the balance', 'GET', () => '/v1/balance', () => ({ token: revoked.key }), 401],
    ['a revoked key running a query', 'POST', () => '/v1/queries', () => ({ token: revoked.key, body: { operation: 'report' } }), 401],
    ['a revoked key resuming its parked query', 'POST', () => `/v1/queries/${parkedQueryId}/resume`, () => ({ token: revoked.key }), 401],
    ['a revoked key changing alerts', 'PUT', () => '/v1/alerts', () => ({ token: revoked.key, body: { enabled: false } }), 401],
    ['a revoked key asking for a reminder', 'POST', () => '/v1/reminders', () => ({ token: revoked.key, body: { after: 'P1D' } }), 401],
    ["another account's key reading a query", 'GET', () => `/v1/queries/${parkedQueryId}`, () => client(), 404],
    ["another account's key resuming a query", 'POST', () => `/v1/queries/${parkedQueryId}/resume`, () => client(), 404],
    ["another account's key cancelling a reminder", 'DELETE', () => `/v1/reminders/${reminderId}`, () => ({ token: poor.apiKey }), 404],
    ["another account's key on its ledger", 'GET', () => account('/ledger'), () => ({ token: poor.apiKey }), 403],
    ['the admin key on a client route', 'GET', () => '/v1/balance', () => admin(), 403],
    ['the admin key running a query', 'POST', () => '/v1/queries', () => admin({ body: { operation: 'report' } }), 403],
    ['a client key creating an account', 'POST', () => '/v1/accounts', () => client({ body: { name: 'Ada', email: 'ada@example.com' } }), 403],
    ['a client key reading its account', 'GET', () => account(), () => client(), 403],
    ['a client key changing its plan', 'PATCH', () => account(), () => client({ body: { plan: 'free' } }), 403],
    ['a client key minting a key', 'POST', () => account('/keys'), () => client({ body: {} }), 403],
    ['a client key revoking a key', 'DELETE', () => account(`/keys/${rich.keyId}`), () => client(), 403],
    ['a client key topping up', 'POST', topUps, () => client({ body: { credits: 1000 }, idempotencyKey: 'steal' }), 403],
    ['a client key debiting', 'POST', debits, () => client({ body: { credits: 1, operation: 'search' }, idempotencyKey: 'steal' }), 403],
    ['a client key on admin alert settings', 'PUT', () => account('/alerts'), () => client({ body: { enabled: false } }), 403],
  ],

  'missing resources and finished work': [
    ['a top-up for no account', 'POST', () => `/v1/accounts/${NO_ACCOUNT}/top-ups`, () => adminTopUp({ credits: 5 }), 404],
    ['a debit for no account', 'POST', () => `/v1/accounts/${NO_ACCOUNT}/debits`, () => adminDebit({ credits: 1, operation: 'search' }), 404],
    ['a key for no account', 'POST', () => `/v1/accounts/${NO_ACCOUNT}/keys`, () => admin({ body: {} }), 404],
    ['a plan for no account', 'PATCH', () => `/v1/accounts/${NO_ACCOUNT}`, () => admin({ body: { plan: 'free' } }), 404],
    ['alerts for no account', 'PUT', () => `/v1/accounts/${NO_ACCOUNT}/alerts`, () => admin({ body: { enabled: false } }), 404],
    ['the ledger of no account', 'GET', () => `/v1/accounts/${NO_ACCOUNT}/ledger`, () => admin(), 404],
    ['revoking a key that does not exist', 'DELETE', () => account(`/keys/key_${'Z'.repeat(16)}`), () => admin(), 404],
    ['revoking a revoked key', 'DELETE', () => `/v1/accounts/${poor.accountId}/keys/${revoked.id}`, () => admin(), 404],
    ['a query that does not exist', 'GET', () => `/v1/queries/q_${'Z'.repeat(16)}`, () => client(), 404],
    ['resuming a query that does not exist', 'POST', () => `/v1/queries/q_${'Z'.repeat(16)}/resume`, () => client(), 404],
    ['resuming a completed query', 'POST', () => `/v1/queries/${completedQueryId}/resume`, () => client(), 409],
    ['cancelling a reminder that does not exist', 'DELETE', () => `/v1/reminders/rem_${'Z'.repeat(16)}`, () => client(), 404],
  ],

  'signed links: missing, malformed, tampered, expired, wrong purpose': [
    ['/usage without a token', 'GET', () => '/usage', () => ({}), 400],
    ['/usage with a short token', 'GET', () => '/usage?token=abc', () => ({}), 400],
    ['/usage with an overlong token', 'GET', () => `/usage?token=${'a'.repeat(2049)}`, () => ({}), 400],
    ['/usage with an extra parameter', 'GET', () => `/usage?token=${link('usage')}&accountId=${poor.accountId}`, () => ({}), 400],
    ['/usage with a tampered signature', 'GET', () => `/usage?token=${tampered(link('usage'))}`, () => ({}), 403],
    ['/usage signed with another secret', 'GET', () => `/usage?token=${link('usage', {}, 'not-the-link-secret-0123456789')}`, () => ({}), 403],
    ['/usage with its payload moved to another account', 'GET', () => `/usage?token=${reassigned()}`, () => ({}), 403],
    ['/usage with a three-part token', 'GET', () => `/usage?token=${link('usage')}.extra`, () => ({}), 403],
    ['/usage with the token twice', 'GET', () => `/usage?token=${link('usage')}&token=${link('usage')}`, () => ({}), 403],
    ['/usage with a remind token', 'GET', () => `/usage?token=${link('remind')}`, () => ({}), 403],
    ['/usage with an expired token', 'GET', () => `/usage?token=${expired('usage')}`, () => ({}), 410],
    ['/usage for an account that does not exist', 'GET', () => `/usage?token=${link('usage', { accountId: NO_ACCOUNT })}`, () => ({}), 404],
    ['GET /resume with a usage token', 'GET', () => `/resume?token=${link('usage', { queryId: parkedQueryId })}`, () => ({}), 403],
    ['GET /resume naming a query that does not exist', 'GET', () => `/resume?token=${link('resume', { queryId: `q_${'Z'.repeat(20)}` })}`, () => ({}), 404],
    ['GET /resume with a link that names no query', 'GET', () => `/resume?token=${link('resume')}`, () => ({}), 403],
    ['/usage with a signed payload that is not JSON', 'GET', () => `/usage?token=${signedPayload('not json')}`, () => ({}), 403],
    [
      '/usage with a signed link without exp',
      'GET',
      () => `/usage?token=${signedPayload(JSON.stringify({ purpose: 'usage', accountId: rich.accountId }))}`,
      () => ({}),
      403,
    ],
    [
      '/usage with a signed link whose exp is a string',
      'GET',
      () => `/usage?token=${signedPayload(JSON.stringify({ purpose: 'usage', accountId: rich.accountId, exp: 'never' }))}`,
      () => ({}),
      403,
    ],
    [
      'POST /remind with a signed link carrying an unknown claim',
      'POST',
      () => `/remind?token=${signedPayload(JSON.stringify({ purpose: 'remind', accountId: rich.accountId, exp: nowSeconds() + 3600, admin: true }))}`,
      () => remindForm('after=P1D'),
      403,
    ],
    ['GET /resume naming another account’s query', 'GET', () => `/resume?token=${link('resume', { queryId: parkedQueryId })}`, () => ({}), 404],
    [
      'POST /resume with an expired token',
      'POST',
      () => `/resume?token=${link('resume', { accountId: poor.accountId, queryId: parkedQueryId, exp: nowSeconds() - 60 })}`,
      () => ({}),
      410,
    ],
    [
      'POST /resume with a tampered token',
      'POST',
      () => `/resume?token=${tampered(link('resume', { accountId: poor.accountId, queryId: parkedQueryId }))}`,
      () => ({}),
      403,
    ],
    ['GET unsubscribe with a usage token', 'GET', () => `/v1/alerts/unsubscribe?token=${link('usage')}`, () => ({}), 403],
    ['POST unsubscribe with an expired token', 'POST', () => `/v1/alerts/unsubscribe?token=${expired('unsubscribe')}`, oneClick, 410],
    ['POST unsubscribe with a tampered token', 'POST', () => `/v1/alerts/unsubscribe?token=${tampered(link('unsubscribe'))}`, oneClick, 403],
    ['POST unsubscribe without a token', 'POST', () => '/v1/alerts/unsubscribe', oneClick, 400],
    [
      'POST unsubscribe for an account that does not exist',
      'POST',
      () => `/v1/alerts/unsubscribe?token=${link('unsubscribe', { accountId: NO_ACCOUNT })}`,
      oneClick,
      404,
    ],
    ['GET /remind with an expired token', 'GET', () => `/remind?token=${expired('remind')}`, () => ({}), 410],
    ['POST /remind with a resume token', 'POST', () => `/remind?token=${link('resume')}`, () => remindForm('after=P1D'), 403],
    ['POST /remind in months', 'POST', () => `/remind?token=${link('remind')}`, () => remindForm('after=P1M'), 400],
    ['POST /remind under an hour', 'POST', () => `/remind?token=${link('remind')}`, () => remindForm('after=PT30M'), 400],
    ['POST /remind without a delay', 'POST', () => `/remind?token=${link('remind')}`, () => remindForm(''), 400],
  ],
};

const SLUGS: Record<number, string> = {
  400: 'validation-error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  410: 'gone',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'idempotency-key-reused',
};

/** The table as the previous case left it (settled and unchanged), so each case needs one settle, not two. */
let lastSnapshot: string | undefined;

/** Sends the request and checks that it is refused with `status` and that nothing in the table changed. */
async function expectRefused(method: string, path: string, options: CallOptions, status: number) {
  let before = lastSnapshot;
  lastSnapshot = undefined;
  // tableSnapshot settles the stream first.
  before ??= await tableSnapshot(app);
  const reply = await call(app.url, method, path, options);
  expect(reply.status, reply.text.slice(0, 500)).toBe(status);
  const after = await tableSnapshot(app);
  expect(after).toBe(before);
  lastSnapshot = after;
  return reply;
}

describe.each(Object.entries(corpus))('bad input is a 4xx problem and changes nothing: %s', (_, cases) => {
  it.each(cases)('%s', async (_, method, path, options, status) => {
    const reply = await expectRefused(method, path(), options(), status);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.body).toMatchObject({
      type: `${PROBLEM_BASE}${SLUGS[status]}`,
      title: expect.stringMatching(/\S/),
      status,
      detail: expect.stringMatching(/\S/),
    });
  });
});

describe('duplicate JSON keys', () => {
  it('are refused naming the repeated key, before anything is credited', async () => {
    const reply = await expectRefused('POST', topUps(), adminRawTopUp('{"credits":1,"reference":"x","credits":1000000}'), 400);
    expect(reply.body.detail).toContain('body.credits');
    expect(reply.body.errors).toEqual([{ path: 'body.credits', message: expect.stringContaining('more than once') }]);
  });
});

describe('documented HTML refusals on link routes', () => {
  it('POST /v1/alerts/unsubscribe with anything but the one-click body is a 400 page and unsubscribes no one', async () => {
    const reply = await expectRefused(
      'POST',
      `/v1/alerts/unsubscribe?token=${link('unsubscribe')}`,
      { raw: 'List-Unsubscribe=Everything', headers: FORM_TYPE },
      400,
    );
    expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
  });
});

it('the corpus has at least 60 distinct cases', () => {
  const names = Object.values(corpus).flatMap((cases) => cases.map(([name]) => name));
  expect(new Set(names).size).toBe(names.length);
  expect(names.length).toBeGreaterThanOrEqual(60);
});

describe('health', () => {
  it('GET /health is ok', async () => {
    const reply = await call(app.url, 'GET', '/health');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { de } from '../../functions/copy/catalogue/de.ts';
import { ADMIN_KEY, startTestApp, type TestApp, tableSnapshot } from '../support/app.ts';
import { call } from '../support/http.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const send = (method: string, path: string, options: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) =>
  fetch(`${app.url}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...(options.form ? FORM : {}), ...(options.cookie ? { Cookie: options.cookie } : {}), ...options.headers },
    body: options.form ? new URLSearchParams(options.form).toString() : undefined,
  });

async function signIn(headers: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string }> {
  const reply = await send('POST', '/console/sign-in', { form: { adminKey: ADMIN_KEY }, headers });
  expect(reply.status).toBe(303);
  expect(reply.headers.get('location')).toBe('/console');
  const setCookie = reply.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0] ?? '', setCookie };
}

async function csrfOf(cookie: string, path = '/console/copy/de'): Promise<string> {
  const page = await (await send('GET', path, { cookie })).text();
  const token = page.match(/name="csrf" value="([^"]+)"/)?.[1];
  expect(token).toBeTruthy();
  return token ?? '';
}

describe('console sign-in', () => {
  it.each(['/console', '/console/copy/de', '/console/copy/de/preview?surface=402'])('GET %s without a session is a 303 to the sign-in form', async (path) => {
    const reply = await send('GET', path);
    expect(reply.status).toBe(303);
    expect(reply.headers.get('location')).toBe('/console/sign-in');
  });

  it('shows the sign-in form under a strict CSP', async () => {
    const reply = await send('GET', '/console/sign-in');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await reply.text()).toContain('name="adminKey"');
  });

  it('a wrong admin key is a 401 page and no cookie', async () => {
    for (const adminKey of ['nope', `${ADMIN_KEY}x`, '']) {
      const reply = await send('POST', '/console/sign-in', { form: { adminKey } });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('content-type')).toContain('text/html');
      expect(reply.headers.get('set-cookie')).toBeNull();
      expect(await reply.text()).toContain('That is not the admin key.');
    }
  });

  it('the admin key gives an HttpOnly, SameSite=Strict session cookie for /console, Secure over https', async () => {
    const { setCookie } = await signIn();
    expect(setCookie).toMatch(/^tollgate_console=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; /);
    expect(setCookie).toContain('; Max-Age=3600');
    expect(setCookie).toContain('; Path=/console');
    expect(setCookie).toContain('; HttpOnly');
    expect(setCookie).toContain('; SameSite=Strict');
    // The local gateway serves plain http, so no Secure there; behind API Gateway the request came over https.
    expect(setCookie).not.toContain('Secure');
    const { handler } = await import('../../functions/accounts/handler.ts');
    const event = {
      version: '2.0',
      routeKey: 'POST /console/sign-in',
      rawPath: '/console/sign-in',
      rawQueryString: '',
      headers: { 'x-forwarded-proto': 'https', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ adminKey: ADMIN_KEY }).toString(),
      isBase64Encoded: false,
      requestContext: { domainName: 'api.example.com', http: { method: 'POST', path: '/console/sign-in' }, requestId: 'r1' },
    };
    const result = (await handler(event as any, {} as any)) as { statusCode: number; headers: Record<string, string> };
    expect(result.statusCode).toBe(303);
    expect(result.headers['Set-Cookie']).toContain('; Secure');
  });

  it('a forged or mangled cookie is no session', async () => {
    const { cookie } = await signIn();
    const [name, value] = cookie.split('=');
    const [payload] = (value ?? '').split('.');
    for (const bad of [`${name}=${payload}.AAAA`, `${name}=${payload}`, `${name}=x`]) {
      expect((await send('GET', '/console', { cookie: bad })).status).toBe(303);
    }
    expect((await send('GET', '/console', { cookie })).status).toBe(200);
  });

  it('sign-out clears the cookie', async () => {
    const { cookie } = await signIn();
    const reply = await send('POST', '/console/sign-out', { cookie, form: { csrf: await csrfOf(cookie, '/console') } });
    expect(reply.status).toBe(303);
    expect(reply.headers.get('location')).toBe('/console/sign-in');
    expect(reply.headers.get('set-cookie')).toMatch(/^tollgate_console=; Max-Age=0; Path=\/console; HttpOnly; SameSite=Strict/);
  });
});

describe('console forms', () => {
  it('a POST without the CSRF token, or with another session’s, is a 403 page and changes nothing', async () => {
    const { cookie } = await signIn();
    const other = await signIn();
    const otherCsrf = await csrfOf(other.cookie);
    const before = await tableSnapshot(app);
    const forms: Record<string, string>[] = [{ 'm:insufficientCredits.title': 'Gefälscht' }, { csrf: 'nope', 'm:insufficientCredits.title': 'Gefälscht' }];
    for (const form of forms) {
      const reply = await send('POST', '/console/copy/de', { cookie, form });
      expect(reply.status).toBe(403);
      expect(reply.headers.get('content-type')).toContain('text/html');
      expect(await reply.text()).toContain('CSRF');
    }
    // Tokens are per session: the other session's token is refused unless the cookie is that session's.
    if (otherCsrf !== (await csrfOf(cookie))) {
      expect((await send('POST', '/console/copy/de', { cookie, form: { csrf: otherCsrf, 'm:insufficientCredits.title': 'Gefälscht' } })).status).toBe(403);
    }
    expect((await send('POST', '/console/copy/de/versions/1/restore', { cookie, form: {} })).status).toBe(403);
    expect(await tableSnapshot(app)).toBe(before);
  });

  it('an invalid template is shown on the page, naming its key, and nothing is saved', async () => {
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
    const before = await tableSnapshot(app);
    const reply = await send('POST', '/console/copy/de', { cookie, form: { csrf, 'm:insufficientCredits.detail': 'Kein Guthaben. {outcome} {preis}' } });
    expect(reply.status).toBe(400);
    const page = await reply.text();
    expect(page).toContain('insufficientCredits.detail: unknown placeholder {preis}');
    expect(page).toContain('insufficientCredits.detail: the required placeholder {shortfall} is missing');
    expect(page).toContain('Kein Guthaben. {outcome} {preis}');
    expect(await tableSnapshot(app)).toBe(before);
  });

  it('saves through the copy API’s versioned path with author console; a field equal to the default is no override', async () => {
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
    const reply = await send('POST', '/console/copy/de', {
      cookie,
      form: { csrf, 'm:insufficientCredits.title': 'Schon alle? Weiter geht’s.', 'm:insufficientCredits.detail': de['insufficientCredits.detail'] },
    });
    expect(reply.status).toBe(200);
    const copy = await call(app.url, 'GET', '/v1/copy/de', { token: ADMIN_KEY });
    expect(copy.body.updatedBy).toBe('console');
    expect(copy.body.messages['insufficientCredits.title'].override).toBe('Schon alle? Weiter geht’s.');
    expect(copy.body.messages['insufficientCredits.detail'].override).toBeUndefined();
  });

  it('the variant form names each problem on the page and saves nothing', async () => {
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
    const before = await tableSnapshot(app);
    const reply = await send('POST', '/console/copy/fr/variants', {
      cookie,
      form: { csrf, variantId: 'control', weight: '101', messages: 'insufficientCredits.titre = Bonjour\nno equals sign' },
    });
    expect(reply.status).toBe(400);
    const page = await reply.text();
    expect(page).toContain('The variant id must be');
    expect(page).toContain('The weight must be a whole percent from 0 to 100.');
    expect(page).toContain('&#34;insufficientCredits.titre&#34; is not a message key');
    expect(page).toContain('&#34;no equals sign&#34; is not a line of the form key = template.');
    const first = await send('POST', '/console/copy/fr/variants', {
      cookie,
      form: { csrf, variantId: 'a', weight: '60', messages: 'insufficientCredits.title = Alors ?' },
    });
    expect(first.status).toBe(303);
    const over = await send('POST', '/console/copy/fr/variants', {
      cookie,
      form: { csrf, variantId: 'b', weight: '50', messages: 'insufficientCredits.title = Encore ?' },
    });
    expect(over.status).toBe(400);
    expect(await over.text()).toContain('add up to 110');
    const after = await call(app.url, 'GET', '/v1/copy/fr/variants', { token: ADMIN_KEY });
    expect(Object.keys(after.body.variants)).toEqual(['a']);
    expect(before).not.toBe(await tableSnapshot(app));
  });

  it('refuses an unknown locale and an unknown surface with a 400 page', async () => {
    const { cookie } = await signIn();
    expect((await send('GET', '/console/copy/es', { cookie })).status).toBe(400);
    const reply = await send('GET', '/console/copy/de/preview?surface=fax', { cookie });
    expect(reply.status).toBe(400);
    expect(await reply.text()).toContain('There is no surface');
  });
});

describe('console accounts', () => {
  it('finds an account by externalId or id, with its balance, plan and newest ledger entries', async () => {
    const externalId = `tenant-${Math.random().toString(36).slice(2)}`;
    const created = await call(app.url, 'POST', '/v1/accounts', {
      token: ADMIN_KEY,
      body: { name: 'Müller & Co <GmbH>', email: 'm@test.example', externalId },
    });
    expect(created.status).toBe(201);
    const topUp = await call(app.url, 'POST', `/v1/accounts/${created.body.id}/top-ups`, {
      token: ADMIN_KEY,
      body: { credits: 42 },
      idempotencyKey: `t-${externalId}`,
    });
    expect(topUp.status).toBe(201);
    // The stream consumer writes the ledger entry.
    await app.settle();
    const { cookie } = await signIn();
    for (const q of [externalId, created.body.id]) {
      const reply = await send('GET', `/console/accounts?q=${encodeURIComponent(q)}`, { cookie });
      expect(reply.status).toBe(200);
      const page = await reply.text();
      expect(page).toContain('Müller &#38; Co &#60;GmbH&#62;');
      expect(page).toContain(`<dd data-field="Plan">${created.body.plan}</dd>`);
      expect(page).toContain('<dd data-field="Balance">42 credits (0 held)</dd>');
      expect(page).toMatch(/<td>top_up<\/td><td>42<\/td><td>42<\/td>/);
    }
  });

  it('says when no account matches (404) or the query is malformed (400)', async () => {
    const { cookie } = await signIn();
    const missing = await send('GET', '/console/accounts?q=nobody-here', { cookie });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('No account has the id or externalId &#34;nobody-here&#34;.');
    expect((await send('GET', '/console/accounts?q=two%20words', { cookie })).status).toBe(400);
    expect((await send('GET', '/console/accounts', { cookie })).status).toBe(200);
    expect((await send('GET', '/console/accounts?q=x')).status).toBe(303);
  });
});

describe('console recovery report', () => {
  it('shows the funnel report page behind the session, with grouping links that stay in the console', async () => {
    expect((await send('GET', '/console/recovery')).status).toBe(303);
    const { cookie } = await signIn();
    const reply = await send('GET', '/console/recovery?groupBy=plan', { cookie });
    expect(reply.status).toBe(200);
    const page = await reply.text();
    expect(page).toContain('<h1 style="font-size:22px">Recovery report');
    expect(page).toMatch(/href="\/console\/recovery\?from=\d{4}-\d{2}-\d{2}&#38;to=\d{4}-\d{2}-\d{2}&#38;groupBy=locale"/);
    const bad = await send('GET', '/console/recovery?groupBy=colour', { cookie });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('text/html');
  });
});

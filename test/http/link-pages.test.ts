import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LinkClaims, signLink } from '../../functions/shared/signed-links.ts';
import { ADMIN_KEY, LINK_SECRET, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

/** Links are opened by people: what a browser gets back when one is bad, and after it did its job. */
let app: TestApp;
let customer: Awaited<ReturnType<typeof newCustomer>>;
beforeAll(async () => {
  app = await startTestApp();
  customer = await newCustomer(app.url, 12);
});
afterAll(() => app.stop());

const BROWSER = { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const FORM = { ...BROWSER, 'Content-Type': 'application/x-www-form-urlencoded' };
const seconds = () => Math.floor(Date.now() / 1000);
const link = (claims: Partial<LinkClaims>) => signLink({ accountId: customer.accountId, exp: seconds() + 3600, ...claims } as LinkClaims, LINK_SECRET);
const tampered = (token: string) => `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;

function expectHumanPage(reply: { status: number; headers: Headers; text: string }, status: number, heading: RegExp) {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
  expect(reply.text).toMatch(/^<!doctype html>/);
  expect(/<h1[^>]*>([^<]*)<\/h1>/.exec(reply.text)?.[1]).toMatch(heading);
  for (const jargon of ['dashboard', 'query.token', 'Invalid input', 'This key may not do that', 'problem', '{"']) expect(reply.text).not.toContain(jargon);
}

describe('a bad link opened in a browser gets a page for people', () => {
  it.each([
    ['GET', '/usage', 'usage'],
    ['GET', '/remind', 'remind'],
    ['GET', '/v1/alerts/unsubscribe', 'unsubscribe'],
  ] as const)('%s %s: tampered → 403, expired → 410, missing → 400, each saying what to do next', async (method, path, purpose) => {
    const bad = await call(app.url, method, `${path}?token=${tampered(link({ purpose }))}`, { headers: BROWSER });
    expectHumanPage(bad, 403, /not valid/);
    expect(bad.text).toContain('newest email from us has a fresh link');
    const expired = await call(app.url, method, `${path}?token=${link({ purpose, exp: seconds() - 60 })}`, { headers: BROWSER });
    expectHumanPage(expired, 410, /expired/);
    expect(expired.text).toContain('fresh link');
    const missing = await call(app.url, method, path, { headers: BROWSER });
    expectHumanPage(missing, 400, /incomplete/);
    expect(missing.text).toContain('whole link');
  });

  it('a resume link for a query that is not there says so in a page', async () => {
    const reply = await call(app.url, 'GET', `/resume?token=${link({ purpose: 'resume', queryId: `q_${'Z'.repeat(20)}` })}`, { headers: BROWSER });
    expectHumanPage(reply, 404, /\S/);
  });

  it('programs asking for JSON still get problem+json', async () => {
    const reply = await call(app.url, 'GET', `/usage?token=${tampered(link({ purpose: 'usage' }))}`);
    expect(reply.status).toBe(403);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('confirmation pages say what happens next and lead back to the usage page', () => {
  const usageLink = (html: string) => /href="([^"]*\/usage\?token=[^"]+)"/.exec(html)?.[1]?.replaceAll('&#38;', '&');

  it('after "remind me later"', async () => {
    const reply = await call(app.url, 'POST', `/remind?token=${link({ purpose: 'remind' })}`, { raw: 'after=P1D', headers: FORM });
    expect(reply.status).toBe(201);
    expect(reply.text).toMatch(/email/);
    expect(reply.text).toMatch(/nothing else to do|no need to do anything/i);
    const back = usageLink(reply.text);
    expect(back).toBeDefined();
    expect((await call(app.url, 'GET', new URL(back ?? '').pathname + new URL(back ?? '').search, { headers: BROWSER })).status).toBe(200);
  });

  it('after resuming a parked query from its link', async () => {
    const parked = await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'export' } });
    expect(parked.status).toBe(402);
    await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, {
      token: ADMIN_KEY,
      body: { credits: 20 },
      idempotencyKey: 'link-pages-top-up',
    });
    const reply = await call(app.url, 'POST', `/resume?token=${link({ purpose: 'resume', queryId: parked.body.query.id })}`, { headers: FORM });
    expect(reply.status).toBe(200);
    expect(reply.text).toMatch(/result/);
    const back = usageLink(reply.text);
    expect(back).toBeDefined();
    expect((await call(app.url, 'GET', new URL(back ?? '').pathname + new URL(back ?? '').search, { headers: BROWSER })).status).toBe(200);
  });
});

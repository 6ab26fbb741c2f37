import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '../../functions/shared/config.ts';
import { signLink } from '../../functions/shared/signed-links.ts';
import { type CheckoutSandbox, startCheckoutSandbox } from '../../local/checkout-sandbox.ts';
import { LINK_SECRET, startTestApp, type TestApp, tableSnapshot } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';
import { WEBHOOK_SECRET } from './stripe-events.ts';

let app: TestApp;
let sandbox: CheckoutSandbox;
beforeAll(async () => {
  sandbox = await startCheckoutSandbox({ port: 0, webhookSecret: WEBHOOK_SECRET });
  process.env.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  process.env.CHECKOUT_SANDBOX_URL = sandbox.url;
  app = await startTestApp();
  sandbox.webhookUrl = `${app.url}/v1/webhooks/stripe`;
});
afterAll(async () => {
  await app.stop();
  await sandbox.stop();
  delete process.env.STRIPE_WEBHOOK_SECRET;
  delete process.env.CHECKOUT_SANDBOX_URL;
});

/** Runs `check` with the payment configuration changed, as an operator would deploy it. */
async function configured(env: Record<string, string | undefined>, check: () => Promise<void>) {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetConfig();
  };
  apply(env);
  try {
    await check();
  } finally {
    apply(saved);
  }
}
afterEach(() => resetConfig());

const link = (accountId: string, claims: { pack?: string; plan?: string; queryId?: string }, exp = Math.floor(Date.now() / 1000) + 3600) =>
  signLink({ purpose: 'checkout', accountId, exp, ...claims }, LINK_SECRET);
const get = (path: string) => fetch(`${app.url}${path}`, { redirect: 'manual' });

describe('GET /checkout', () => {
  it('creates a checkout session and answers 303 to its page', async () => {
    const c = await newCustomer(app.url);
    const reply = await get(`/checkout?token=${link(c.accountId, { pack: 'pack_500' })}`);
    expect(reply.status).toBe(303);
    expect(reply.headers.get('location')).toMatch(new RegExp(`^${sandbox.url}/pay/cs_sandbox_`));
  });

  it('without a payment provider, sends Buy to the operator’s billing page when there is one', async () => {
    const c = await newCustomer(app.url);
    await configured({ CHECKOUT_SANDBOX_URL: undefined, BILLING_URL: 'https://billing.example.com/credits' }, async () => {
      const reply = await get(`/checkout?token=${link(c.accountId, { plan: 'growth' })}`);
      expect(reply.status).toBe(303);
      expect(reply.headers.get('location')).toBe('https://billing.example.com/credits?plan=growth');
      // …and the 402 links straight there.
      const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } });
      const topUp = refused.body.actions.find((a: { id: string }) => a.id === 'top_up');
      expect(topUp.options[0].href).toMatch(/^https:\/\/billing\.example\.com\/credits\?pack=/);
    });
  });

  it('without a provider or a billing page, tells the customer how to get credits (a page, never a dead end)', async () => {
    const c = await newCustomer(app.url);
    await configured({ CHECKOUT_SANDBOX_URL: undefined, BILLING_URL: undefined }, async () => {
      const reply = await get(`/checkout?token=${link(c.accountId, { pack: 'pack_100' })}`);
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toContain('text/html');
      const text = await reply.text();
      expect(text).toContain('Buying credits online is not available here yet');
      expect(text).toContain(c.accountId);
      expect(text).toContain('/usage?token=');
    });
  });

  it.each([
    ['no token', () => '/checkout', 400],
    [
      'a forged token',
      (accountId: string) =>
        `/checkout?token=${signLink({ purpose: 'checkout', accountId, exp: 9999999999, pack: 'pack_100' }, 'another-secret-of-at-least-32-chars!!')}`,
      403,
    ],
    ['a token for another purpose', (accountId: string) => `/checkout?token=${signLink({ purpose: 'usage', accountId, exp: 9999999999 }, LINK_SECRET)}`, 403],
    ['an expired token', (accountId: string) => `/checkout?token=${link(accountId, { pack: 'pack_100' }, 1_000_000)}`, 410],
    ['a pack no longer for sale', (accountId: string) => `/checkout?token=${link(accountId, { pack: 'pack_3' })}`, 404],
  ])('refuses %s with a 4xx and creates nothing', async (_name, path, status) => {
    const c = await newCustomer(app.url);
    const before = await tableSnapshot(app);
    const reply = await get(path(c.accountId));
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(await tableSnapshot(app)).toBe(before);
  });
});

describe('Buy links', () => {
  it('in the depletion email and on the usage page, every pack and plan is a signed checkout link that carries the parked query', async () => {
    const email = newAddress();
    const c = await newCustomer(app.url, 3, 'free', email);
    const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'export', input: {} } });
    expect(refused.status).toBe(402);
    await app.settle();
    await expect.poll(async () => (await mailTo(email)).length, { timeout: 10_000 }).toBeGreaterThan(0);
    const [mail] = await mailTo(email);
    const links = [...(mail?.body.text ?? '').matchAll(/: (http\S+\/checkout\?token=\S+)/g)].map((m) => m[1] ?? '');
    expect(links.length).toBeGreaterThanOrEqual(2);
    const claims = links.map((href) => JSON.parse(Buffer.from(new URL(href).searchParams.get('token')?.split('.')[0] ?? '', 'base64url').toString()));
    expect(claims.every((claim) => claim.purpose === 'checkout' && claim.queryId === refused.body.query.id)).toBe(true);
    expect((await get(new URL(links[0] ?? '').pathname + new URL(links[0] ?? '').search)).status).toBe(303);

    const usagePage = await (await fetch(refused.body.actions.find((a: { id: string }) => a.id === 'view_usage').pageHref)).text();
    const hrefs = [...usagePage.matchAll(/<a class="button[^"]*" href="([^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&#38;', '&'));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).toMatch(new RegExp(`^${app.url}/checkout\\?token=`));
    expect(usagePage).not.toContain('/v1/prices');
  });
});

describe('GET /checkout/done', () => {
  it('before the payment is confirmed, says it is being confirmed and offers a refresh', async () => {
    const c = await newCustomer(app.url);
    const path = `/checkout/done?token=${link(c.accountId, { pack: 'pack_100' })}&session_id=cs_test_notYetConfirmed`;
    const reply = await get(path);
    expect(reply.status).toBe(200);
    const text = await reply.text();
    expect(text).toContain('Thank you — confirming your payment');
    expect(text).toContain(`href="${path.replaceAll('&', '&#38;')}"`);
  });

  it('refuses a session id that is not one', async () => {
    const c = await newCustomer(app.url);
    const reply = await get(`/checkout/done?token=${link(c.accountId, { pack: 'pack_100' })}&session_id=${encodeURIComponent('<script>')}`);
    expect(reply.status).toBe(400);
    expect(((await reply.json()) as { detail: string }).detail).toContain('query.session_id');
  });
});

describe('POST /v1/webhooks/stripe without a webhook secret', () => {
  it('answers 503 so that Stripe keeps the event and retries once the secret is set', async () => {
    await configured({ STRIPE_WEBHOOK_SECRET: undefined }, async () => {
      const reply = await fetch(`${app.url}/v1/webhooks/stripe`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Stripe-Signature': 't=1,v1=00' },
        body: '{}',
      });
      expect(reply.status).toBe(503);
      expect(((await reply.json()) as { detail: string }).detail).toContain('STRIPE_WEBHOOK_SECRET');
    });
  });
});

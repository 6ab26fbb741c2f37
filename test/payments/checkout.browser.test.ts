import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckoutSandbox, startCheckoutSandbox } from '../../local/checkout-sandbox.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { launchChromium, RESULTS } from '../support/browser.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';
import { WEBHOOK_SECRET } from './stripe-events.ts';

let app: TestApp;
let sandbox: CheckoutSandbox;
let browser: Browser;
beforeAll(async () => {
  // As `npm start` runs it: the sandbox stands in for Stripe's hosted page and signs with the endpoint secret.
  sandbox = await startCheckoutSandbox({ port: 0, webhookSecret: WEBHOOK_SECRET });
  process.env.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  process.env.CHECKOUT_SANDBOX_URL = sandbox.url;
  app = await startTestApp();
  sandbox.webhookUrl = `${app.url}/v1/webhooks/stripe`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await sandbox?.stop();
  delete process.env.STRIPE_WEBHOOK_SECRET;
  delete process.env.CHECKOUT_SANDBOX_URL;
});

describe('402 → usage page → Buy → checkout → Pay → the parked query runs', () => {
  it('credits the pack once, runs the parked export once, and says so', async () => {
    const email = newAddress();
    const c = await newCustomer(app.url, 3, 'free', email);
    const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'export', input: {} } });
    expect(refused.status).toBe(402);
    const queryId = refused.body.query.id as string;
    // Every option the 402 offers is a signed checkout link, never JSON behind an API key.
    const actions = refused.body.actions as { id: string; pageHref?: string; options?: { href: string }[] }[];
    const options = actions.flatMap((action) => action.options ?? []);
    expect(options.length).toBeGreaterThan(0);
    for (const option of options) expect(option.href).toMatch(new RegExp(`^${app.url}/checkout\\?token=`));

    const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    await page.goto(actions.find((a) => a.id === 'view_usage')?.pageHref ?? '');
    await page.getByRole('link', { name: 'Buy 100 credits' }).click();

    // The sandbox's checkout page shows the order.
    await page.waitForURL(`${sandbox.url}/pay/**`);
    expect(await page.locator('h1').textContent()).toBe('Checkout (local sandbox)');
    expect(await page.locator('main').textContent()).toContain('100 credits — 5.00 USD');
    await page.screenshot({ path: `${RESULTS}/checkout-sandbox.png` });
    await page.getByRole('button', { name: 'Pay' }).click();

    // Back on Tollgate: what happened, and how to fetch the result.
    await page.waitForURL(`${app.url}/checkout/done?**`);
    expect(await page.locator('h1').textContent()).toBe('Payment received');
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('100 credits for $5.00 added. Your balance is now 78 credits.');
    expect(text).toContain(`Your export ran (25 credits). Your program can fetch its result with GET /v1/queries/${queryId}`);
    await page.screenshot({ path: `${RESULTS}/checkout-done.png` });

    // Going back to the page (or refreshing it) changes nothing.
    await page.reload();
    expect(await page.locator('h1').textContent()).toBe('Payment received');
    expect((await call(app.url, 'GET', '/v1/balance', { token: c.apiKey })).body.available).toBe(3 + 100 - 25);
    const query = await call(app.url, 'GET', `/v1/queries/${queryId}`, { token: c.apiKey });
    expect(query.body).toMatchObject({ status: 'completed', charged: 25 });
    await app.settle();
    const entries = (await call(app.url, 'GET', `/v1/accounts/${c.accountId}/ledger`, { token: ADMIN_KEY })).body.entries as {
      type: string;
      credits: number;
    }[];
    expect(entries.filter((e) => e.type === 'top_up').map((e) => e.credits)).toEqual([100, 3]);
    expect(entries.filter((e) => e.type === 'debit').map((e) => e.credits)).toEqual([-25]);
    const receipt = (await mailTo(email)).find((mail) => mail.subject === 'Receipt: 100 credits for $5.00');
    expect(receipt?.body.text).toContain('export: done, 25 credits');
  });

  it('Cancel on the checkout page goes back to the usage page, and nothing is bought', async () => {
    const c = await newCustomer(app.url, 0, 'free');
    const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'search', input: { q: 'bolt' } } });
    const page = await browser.newPage();
    await page.goto(refused.body.actions.find((a: { id: string }) => a.id === 'view_usage').pageHref);
    await page.getByRole('link', { name: 'Buy 500 credits' }).click();
    await page.waitForURL(`${sandbox.url}/pay/**`);
    await page.getByRole('link', { name: 'Cancel and go back' }).click();
    await page.waitForURL(`${app.url}/usage?**`);
    expect((await call(app.url, 'GET', '/v1/balance', { token: c.apiKey })).body.available).toBe(0);
  });

  it('subscribing to a plan grants its credits and puts the account on it', async () => {
    const c = await newCustomer(app.url, 0, 'free');
    const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } });
    const plan = refused.body.actions.find((a: { id: string }) => a.id === 'change_plan').options.find((o: { id: string }) => o.id === 'starter');
    const page = await browser.newPage();
    await page.goto(plan.href);
    await page.waitForURL(`${sandbox.url}/pay/**`);
    expect(await page.locator('main').textContent()).toContain('Starter plan — 29.00 USD a month');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(`${app.url}/checkout/done?**`);
    expect(await page.locator('main').textContent()).toContain('the Starter plan added');
    expect((await call(app.url, 'GET', `/v1/accounts/${c.accountId}`, { token: ADMIN_KEY })).body).toMatchObject({
      plan: 'starter',
      balance: { available: 1000 - 10 },
    });
  });
});

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { launchChromium, RESULTS } from '../support/browser.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';

let app: TestApp;
let browser: Browser;
beforeAll(async () => {
  app = await startTestApp();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('run out → 402 → usage page → top up → resume', () => {
  it('works for a person and a program, and charges the query once', async () => {
    const email = newAddress();
    const c = await newCustomer(app.url, 12, 'free', email);
    expect((await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } })).status).toBe(200);
    await app.settle();
    const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } });
    expect(refused.status).toBe(402);
    const queryId = refused.body.query.id;

    // A person follows "view usage" to the page.
    const viewUsage = refused.body.actions.find((a: { id: string }) => a.id === 'view_usage');
    const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const response = await page.goto(viewUsage.pageHref);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.locator('body').innerText()).toContain('report');
    const text = await page.locator('body').innerText();
    expect(text).toMatch(/\b2\b/);
    expect(text).toContain('Remind me later');
    await page.screenshot({ path: `${RESULTS}/e2e-usage-page.png`, fullPage: true });
    expect(errors).toEqual([]);

    // "Remind me later" from the page schedules a reminder.
    await page.getByRole('button', { name: /remind/i }).click();
    await expect.poll(() => page.locator('body').innerText()).toMatch(/remind you/i);

    // The operator tops up; the program resumes the parked query: it runs once.
    await call(app.url, 'POST', `/v1/accounts/${c.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 100 }, idempotencyKey: 'after-402' });
    const resumes = await Promise.all(Array.from({ length: 5 }, () => call(app.url, 'POST', `/v1/queries/${queryId}/resume`, { token: c.apiKey })));
    expect(resumes.filter((r) => r.status === 200)).toHaveLength(1);
    await app.settle();
    const ledger = (await call(app.url, 'GET', `/v1/accounts/${c.accountId}/ledger`, { token: ADMIN_KEY })).body.entries;
    expect(ledger.filter((e: { type: string; queryId?: string }) => e.type === 'debit' && e.queryId === queryId)).toHaveLength(1);
    expect((await call(app.url, 'GET', '/v1/balance', { token: c.apiKey })).body.available).toBe(92);
  });

  it('a person resumes from the depletion email, in the browser, once', async () => {
    const email = newAddress();
    const c = await newCustomer(app.url, 3, 'free', email);
    const refused = await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } });
    expect(refused.status).toBe(402);
    await app.settle();
    const [mail] = (await mailTo(email)).filter((m) => m.subject.includes('waiting'));
    const resumeUrl = /(http:\/\/\S+\/resume\?token=\S+)/.exec(mail?.body.text ?? '')?.[1];
    expect(resumeUrl).toBeDefined();
    const page = await browser.newPage();
    await page.goto(resumeUrl ?? '');
    expect(await page.locator('h1').innerText()).toContain('is waiting');
    expect(await page.locator('body').innerText()).toContain('7 credits short');
    await call(app.url, 'POST', `/v1/accounts/${c.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 20 }, idempotencyKey: 'refill' });
    await page.goto(resumeUrl ?? '');
    expect(await page.locator('h1').innerText()).toContain('ready to run');
    await page.getByRole('button', { name: 'Run it now' }).click();
    await expect.poll(() => page.locator('h1').innerText()).toContain('Done: your report ran');
    await page.screenshot({ path: `${RESULTS}/e2e-resumed.png` });
    await page.goto(resumeUrl ?? '');
    expect(await page.locator('h1').innerText()).toContain('Already done');
    expect((await call(app.url, 'GET', '/v1/balance', { token: c.apiKey })).body.available).toBe(13);
  });
});

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { launchChromium, RESULTS } from '../support/browser.ts';
import { call, newCustomer } from '../support/http.ts';

/**
 * The recovery report page in real Chromium, behind a signed admin link, under the production
 * CSP: the funnel chart and the table show the numbers the API answers for the same window.
 */
describe('the recovery report page', () => {
  let app: TestApp;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp(), launchChromium()]);
    // Two episodes: one recovered (a top-up after the wall), one still pending.
    for (const recovers of [true, false]) {
      const customer = await newCustomer(app.url, 5);
      expect((await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'export', input: { category: 'tools' } } })).status).toBe(
        402,
      );
      await app.settle();
      if (recovers) {
        await call(app.url, 'GET', '/v1/usage', { token: customer.apiKey });
        const topUp = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, {
          token: ADMIN_KEY,
          idempotencyKey: `page-${customer.accountId}`,
          body: { credits: 50 },
        });
        expect(topUp.status).toBe(201);
      }
    }
    await app.settle();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('draws the funnel and the table with the API’s numbers, and switches grouping by link', async () => {
    const link = await call(app.url, 'POST', '/v1/reports/recovery/link', { token: ADMIN_KEY });
    expect(link.status).toBe(201);
    expect(link.body.url).toContain('/reports/recovery?token=');
    const today = new Date().toISOString().slice(0, 10);
    const api = await call(app.url, 'GET', `/v1/reports/recovery?from=${today}&to=${today}&groupBy=action`, { token: ADMIN_KEY });
    const whole = await call(app.url, 'GET', `/v1/reports/recovery?from=${today}&to=${today}`, { token: ADMIN_KEY });
    expect(whole.body.groups[0]).toMatchObject({ episodes: 2, pending: 1, recovered: 1 });

    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const response = await page.goto(`${link.body.url}&from=${today}&to=${today}&groupBy=action`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    await page.screenshot({ path: `${RESULTS}/recovery-report.png`, fullPage: true });

    // The chart: one bar per stage, labelled with the whole window's counts.
    for (const [stage, count] of Object.entries({ ...whole.body.groups[0].stages, recovered: whole.body.groups[0].recovered })) {
      expect(await page.locator(`svg g[data-stage="${stage}"] text`).nth(1).textContent(), stage).toBe(String(count));
    }
    const wallBar = Number(await page.locator('svg g[data-stage="wall"] rect').getAttribute('width'));
    const recoveredBar = Number(await page.locator('svg g[data-stage="recovered"] rect').getAttribute('width'));
    expect(recoveredBar).toBeCloseTo(wallBar / 2, 0);

    // The table: every group and figure of the API's answer.
    const rows = page.locator('tbody tr[data-key]');
    expect(await rows.count()).toBe(api.body.groups.length);
    for (const group of api.body.groups) {
      const row = page.locator(`tbody tr[data-key="${group.key}"]`);
      for (const field of ['episodes', 'pending', 'recovered']) expect(await row.locator(`[data-field="${field}"]`).textContent()).toBe(String(group[field]));
      for (const [stage, count] of Object.entries(group.stages)) expect(await row.locator(`[data-field="${stage}"]`).textContent()).toBe(String(count));
      const rate = group.recoveryRate === null ? '—' : `${(group.recoveryRate * 100).toFixed(1)} %`;
      expect(await row.locator('[data-field="recoveryRate"]').textContent()).toBe(rate);
    }

    await page.getByRole('link', { name: 'plan' }).click();
    await page.waitForURL(/groupBy=plan/);
    expect(await page.locator('caption').textContent()).toBe('By plan');
    expect(errors).toEqual([]);
  });

  it('refuses a page without a valid link, and names a bad parameter', async () => {
    const page = await browser.newPage();
    expect((await page.goto(`${app.url}/reports/recovery?token=not.a-valid-token`))?.status()).toBe(403);
    expect((await page.goto(`${app.url}/reports/recovery`))?.status()).toBe(400);
    const { body } = await call(app.url, 'POST', '/v1/reports/recovery/link', { token: ADMIN_KEY });
    const bad = await call(app.url, 'GET', `${new URL(body.url).pathname}${new URL(body.url).search}&groupBy=colour`, {
      headers: { Accept: 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('groupBy');
    expect((await call(app.url, 'POST', '/v1/reports/recovery/link', { token: (await newCustomer(app.url)).apiKey })).status).toBe(403);
  });
});

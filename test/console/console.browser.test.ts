import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { de } from '../../functions/copy/catalogue/de.ts';
import { assignVariant } from '../../functions/copy/variants.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { launchChromium, RESULTS } from '../support/browser.ts';
import { call, newCustomer } from '../support/http.ts';

const require = createRequire(import.meta.url);
const TITLE = 'textarea[name="m:insufficientCredits.title"]';

/**
 * The marketer's path in real Chromium: sign in with the admin key, change the German 402's title,
 * see it in the preview and in the next 402, roll back, and every page clean under axe-core.
 */
describe('the operator console', () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let axeContext: BrowserContext;

  beforeAll(async () => {
    // The functions re-read overrides on every request here (the copy tests cover the 60 s cache).
    process.env.COPY_CACHE_TTL_SECONDS = '0';
    [app, browser] = await Promise.all([startTestApp(), launchChromium()]);
    context = await browser.newContext();
    // axe-core is injected as a script tag, which the pages' strict CSP (no script at all) would block:
    // only this context bypasses CSP, for the accessibility checks; the flow above runs under the real CSP.
    axeContext = await browser.newContext({ bypassCSP: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const refuse = async (apiKey: string) =>
    call(app.url, 'POST', '/v1/queries', {
      token: apiKey,
      body: { operation: 'report' },
      headers: { 'Accept-Language': 'de' },
      idempotencyKey: `q-${Math.random()}`,
    });

  async function signIn(page: Page): Promise<void> {
    const first = await page.goto(`${app.url}/console/copy/de`);
    expect(page.url()).toBe(`${app.url}/console/sign-in`);
    expect(first?.headers()['content-security-policy']).toContain("default-src 'none'");
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.url}/console`);
  }

  it('edits the German 402 title, previews it, sees it in the next 402, and rolls it back', async () => {
    const customer = await newCustomer(app.url, 3);
    const original = (await refuse(customer.apiKey)).body.title;
    expect(original).toBe(de['insufficientCredits.title']);

    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await signIn(page);
    await page.getByRole('link', { name: 'Copy editor (de)' }).click();
    await page.waitForURL(`${app.url}/console/copy/de`);
    expect(await page.locator(TITLE).inputValue()).toBe(original);

    // A template with an unknown placeholder is refused on the page, naming the key.
    await page.locator(TITLE).fill('Schon alle {vorname}?');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('insufficientCredits.title: unknown placeholder {vorname}');
    expect(await page.locator(TITLE).inputValue()).toBe('Schon alle {vorname}?');
    // That answer was a 400 on purpose, which Chromium logs; anything logged from here on is a fault.
    errors.length = 0;

    await page.locator(TITLE).fill('Schon alle? Hier geht es weiter.');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved as version 1.');

    await page.getByRole('link', { name: '402' }).click();
    await page.waitForURL(/\/console\/copy\/de\/preview\?surface=402$/);
    expect(await page.getByTestId('title').textContent()).toBe('Schon alle? Hier geht es weiter.');
    await page.screenshot({ path: `${RESULTS}/console-preview.png`, fullPage: true });

    expect((await refuse(customer.apiKey)).body.title).toBe('Schon alle? Hier geht es weiter.');

    // A second change, then roll back to the first from the history.
    await page.goto(`${app.url}/console/copy/de`);
    await page.locator(TITLE).fill('Zweiter Versuch');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved as version 2.');
    expect((await refuse(customer.apiKey)).body.title).toBe('Zweiter Versuch');
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.waitForURL(`${app.url}/console/copy/de`);
    expect(await page.locator(TITLE).inputValue()).toBe('Schon alle? Hier geht es weiter.');
    expect(await page.locator('tbody tr').first().textContent()).toContain('restore of 1');
    expect((await refuse(customer.apiKey)).body.title).toBe('Schon alle? Hier geht es weiter.');

    // Emptying the field goes back to the default.
    await page.locator(TITLE).fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved as version 4.');
    expect((await refuse(customer.apiKey)).body.title).toBe(original);
    expect(errors).toEqual([]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${app.url}/console/sign-in`);
    await page.goto(`${app.url}/console`);
    expect(page.url()).toBe(`${app.url}/console/sign-in`);
  });

  it('shows a variant of the German 402 title to half of the customers, and the base copy to all once switched off', async () => {
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${app.url}/console/copy/de/variants`);
    await page.getByLabel('Variant id').fill('frage');
    await page.getByLabel('Weight (percent of accounts)').fill('50');
    await page.getByLabel('Templates, one per line').fill('insufficientCredits.title = Noch Fragen? Es geht gleich weiter.');
    await page.getByRole('button', { name: 'Save variant' }).click();
    await page.waitForURL(`${app.url}/console/copy/de/variants`);
    await expect.poll(() => page.getByRole('status').textContent()).toBe('The experiment is on: 50 % of accounts get the base copy.');
    expect(await page.locator('tr[data-variant="frage"]').textContent()).toContain('50 %');

    const experiment = (await call(app.url, 'GET', '/v1/copy/de/variants', { token: ADMIN_KEY })).body;
    expect(experiment).toMatchObject({ enabled: true, updatedBy: 'console', variants: { frage: { weight: 50 } } });
    const customers = await Promise.all(Array.from({ length: 8 }, () => newCustomer(app.url, 3)));
    const expected = customers.map((c) =>
      assignVariant(c.accountId, experiment) === 'frage' ? 'Noch Fragen? Es geht gleich weiter.' : de['insufficientCredits.title'],
    );
    const titles = [];
    for (const c of customers) titles.push((await refuse(c.apiKey)).body.title);
    expect(titles).toEqual(expected);

    await page.getByRole('button', { name: 'Turn the experiment off' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('The experiment is off: everyone gets the base copy.');
    const fresh = await newCustomer(app.url, 3);
    expect((await refuse(fresh.apiKey)).body.title).toBe(de['insufficientCredits.title']);
  });

  it('has no axe-core violations on any console page', async () => {
    const page = await axeContext.newPage();
    await signIn(page);
    for (const path of [
      '/console/sign-in',
      '/console',
      '/console/copy/de',
      '/console/copy/fr/preview?surface=402',
      '/console/copy/en/preview?surface=threshold-email',
    ]) {
      await page.goto(`${app.url}${path}`);
      await page.addScriptTag({ path: require.resolve('axe-core') });
      const violations = await page.evaluate(async () => {
        const result = await (globalThis as any).axe.run();
        return result.violations.map((v: { id: string; nodes: unknown[] }) => `${v.id} (${v.nodes.length})`);
      });
      expect(violations, path).toEqual([]);
    }
  });
});

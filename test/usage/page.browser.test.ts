import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { html } from '../../functions/http/response.ts';
import { renderUsagePage, type UsagePageData } from '../../functions/usage/page.ts';
import { launchChromium, RESULTS } from '../support/browser.ts';
import { pricing } from '../support/prices.ts';

const DAILY = [12, 0, 8, 15, 3, 0, 0, 21, 14, 9, 26, 11, 0, 0, 18, 35, 12, 7, 4, 0, 0, 27, 19, 13, 36, 58, 0, 0, 41, 24];
const TOTAL = DAILY.reduce((a, b) => a + b, 0);

function pageData(): UsagePageData {
  const from = Date.parse('2026-10-27T00:00:00.000Z');
  const period = { from: new Date(from).toISOString(), to: new Date(from + DAILY.length * 86_400_000).toISOString() };
  return {
    accountName: 'Ada Labs',
    planName: 'Free',
    balance: { available: 57, held: 0, asOf: '2026-11-25T09:41:00.000Z' },
    period,
    usage: {
      ...period,
      total: TOTAL,
      byOperation: [
        { operation: 'export', count: 8, credits: 200 },
        { operation: 'report', count: 14, credits: 140 },
        { operation: 'search', count: TOTAL - 340, credits: TOTAL - 340 },
      ],
      byDay: DAILY.map((credits, i) => ({ date: new Date(from + i * 86_400_000).toISOString().slice(0, 10), credits })).filter((d) => d.credits > 0),
    },
    biggestQueries: [
      { operation: 'export', credits: 25, at: '2026-11-24T16:02:11.000Z', queryId: 'q_8fJ2kLmQ0zXw1Yt' },
      { operation: 'export', credits: 25, at: '2026-11-21T08:15:40.000Z', queryId: 'q_Ab3dE5fG7hJ9kL1' },
      { operation: 'report', credits: 10, at: '2026-11-24T11:30:00.000Z', queryId: 'q_Zx9Yw8Vu7Ts6Rq5' },
    ],
    runwayDays: 2.3,
    topUps: pricing.topUps.map((p) => ({ ...p, href: `/billing/top-up/${p.id}` })),
    plans: pricing.plans.filter((p) => p.rollover).map((p) => ({ ...p, href: `/billing/plan/${p.id}` })),
    remindAction: '/v1/reminders?token=signed.link',
    alerts: { enabled: true, thresholds: [50, 20, 5], email: 'ada@example.com' },
    notice: 'Welcome back. Here is where your credits went this month.',
  };
}

/** Serves the page with the production headers (CSP included) and records reminder form posts. */
function serve(body: string, posts: string[]): Promise<Server> {
  const page = html(200, body);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/usage') {
      res.writeHead(page.statusCode, page.headers).end(page.body);
    } else if (req.method === 'POST' && req.url?.startsWith('/v1/reminders')) {
      let form = '';
      req.on('data', (chunk) => {
        form += chunk;
      });
      req.on('end', () => {
        posts.push(form);
        res.writeHead(303, { Location: '/usage' }).end();
      });
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Console errors and warnings, uncaught errors and CSP violations seen by a page. */
async function watchProblems(page: Page): Promise<() => Promise<string[]>> {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript({
    content: `window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push('CSP ' + e.effectiveDirective + ' blocked ' + e.blockedURI));`,
  });
  return async () => [...problems, ...((await page.evaluate('window.__violations')) as string[])];
}

let server: Server;
let browser: Browser;
let origin: string;
const posts: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  server = await serve(renderUsagePage(pageData()), posts);
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('usage page in headless Chromium', () => {
  it.each([
    { device: 'phone', width: 375, height: 812 },
    { device: 'desktop', width: 1280, height: 800 },
  ])('reads well on a $device ($width×$height), under the production CSP', async ({ device, width, height }) => {
    const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: device === 'phone' ? 2 : 1 });
    try {
      const page = await context.newPage();
      const problems = await watchProblems(page);
      await page.goto(`${origin}/usage`);

      const scroll = (await page.evaluate('({ scrollWidth: document.scrollingElement.scrollWidth, clientWidth: document.scrollingElement.clientWidth })')) as {
        scrollWidth: number;
        clientWidth: number;
      };
      expect(scroll.scrollWidth).toBeLessThanOrEqual(scroll.clientWidth);

      expect(await page.getByRole('heading', { level: 1 }).allTextContents()).toEqual(['Your usage']);
      await expectVisible(page.getByRole('img', { name: /^Bar chart of credits used per day from 27 Oct 2026 to 25 Nov 2026/ }));
      const breakdown = page.getByRole('region', { name: 'Where your credits went' }).getByRole('table');
      await expectVisible(breakdown);
      expect(await breakdown.getByRole('row').count()).toBe(4);

      await expectVisible(page.getByRole('link', { name: 'Buy 500 credits' }));
      await expectVisible(page.getByRole('link', { name: 'Switch to Growth' }));

      const form = page.locator('form.remind');
      expect(await form.getAttribute('method')).toBe('post');
      const group = form.getByRole('group', { name: 'Email me about my balance in' });
      for (const label of ['4 hours', '1 day', '3 days', '1 week']) await expectVisible(group.getByRole('radio', { name: label, exact: true }));
      await expectVisible(form.getByRole('button', { name: 'Remind me later' }));

      await page.screenshot({ path: `${RESULTS}/usage-page-${device}.png`, fullPage: true });
      expect(await problems()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the remind form posts the chosen delay to the same origin, as the CSP allows', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
    try {
      const page = await context.newPage();
      const problems = await watchProblems(page);
      await page.goto(`${origin}/usage`);
      await page.getByRole('radio', { name: '3 days' }).check();
      await Promise.all([page.waitForURL(`${origin}/usage`, { waitUntil: 'load' }), page.getByRole('button', { name: 'Remind me later' }).click()]);
      expect(posts).toEqual(['after=P3D']);
      expect(await problems()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

async function expectVisible(locator: ReturnType<Page['locator']>): Promise<void> {
  expect(await locator.count(), `${locator} is missing`).toBe(1);
  expect(await locator.isVisible(), `${locator} is hidden`).toBe(true);
}

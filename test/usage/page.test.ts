import { describe, expect, it } from 'vitest';
import { REMINDER_DELAYS, renderUsagePage, type UsagePageData } from '../../functions/usage/page.ts';
import { pricing } from '../support/prices.ts';

const page = (overrides: Partial<UsagePageData> = {}): UsagePageData => ({
  accountName: 'Ada Labs',
  planName: 'Free',
  balance: { available: 42, held: 0, asOf: '2026-11-24T09:30:00.000Z' },
  period: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z' },
  usage: {
    from: '2026-11-20T00:00:00.000Z',
    to: '2026-11-25T00:00:00.000Z',
    total: 61,
    byOperation: [
      { operation: 'export', count: 2, credits: 50 },
      { operation: 'search', count: 11, credits: 11 },
    ],
    byDay: [
      { date: '2026-11-21', credits: 26 },
      { date: '2026-11-23', credits: 35 },
    ],
  },
  biggestQueries: [{ operation: 'export', credits: 25, at: '2026-11-23T10:00:00.000Z', queryId: 'q_abc' }],
  runwayDays: 4.6,
  topUps: pricing.topUps.map((p) => ({ ...p, href: `https://billing.example/buy/${p.id}` })),
  plans: pricing.plans.filter((p) => p.rollover).map((p) => ({ ...p, href: `https://billing.example/plan/${p.id}` })),
  remindAction: '/v1/reminders?token=t.sig',
  alerts: { enabled: true, thresholds: [50, 20, 5], email: 'ada@example.com' },
  ...overrides,
});

const bars = (html: string) =>
  [...html.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" data-date="([\d-]+)" data-credits="(-?\d+)">/g)].map(
    ([, y, height, date, credits]) => ({ date, credits: Number(credits), height: Number(height), y: Number(y) }),
  );

describe('renderUsagePage', () => {
  it('is a complete document with one h1 and no script, external resource or inline handler', () => {
    const html = renderUsagePage(page());
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html.match(/<h1[ >]/g)).toHaveLength(1);
    expect(html).not.toMatch(/<script|\son\w+=|src=|url\(|@import|<link rel="stylesheet"/i);
  });

  it('escapes everything the customer or operator supplied', () => {
    const evil = '<script>alert(1)</script>';
    const html = renderUsagePage(
      page({
        accountName: evil,
        planName: `"><img src=x>`,
        notice: evil,
        usage: { ...page().usage, byOperation: [{ operation: evil, count: 1, credits: 61 }] },
        biggestQueries: [{ operation: evil, credits: 25, at: '2026-11-23T10:00:00.000Z', queryId: `"><b>` }],
        remindAction: `/r?a="><script>`,
        alerts: { enabled: true, thresholds: [50], email: `${evil}@example.com` },
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; · &#34;&#62;&#60;img src=x&#62; plan');
    expect(html).toContain('Query ID </span>&#34;&#62;&#60;b&#62;');
    expect(html).toContain('<title>Usage · &#60;script&#62;');
    expect(html).toContain('action="/r?a=&#34;&#62;&#60;script&#62;"');
  });

  it('draws one bar per day of the period, as tall as that day’s credits', () => {
    const html = renderUsagePage(page());
    const drawn = bars(html);
    expect(drawn.map(({ date, credits }) => ({ date, credits }))).toEqual([
      { date: '2026-11-20', credits: 0 },
      { date: '2026-11-21', credits: 26 },
      { date: '2026-11-22', credits: 0 },
      { date: '2026-11-23', credits: 35 },
      { date: '2026-11-24', credits: 0 },
    ]);
    // The axis tops out at 40 for a 35-credit peak: heights are credits / 40 of the plot.
    expect(drawn.map((b) => b.height)).toEqual([0, 65, 0, 87.5, 0]);
    expect(drawn.every((b) => b.y + b.height === 100)).toBe(true);
    expect(html).toContain('<svg viewBox="0 0 50 100" preserveAspectRatio="none" role="img" aria-labelledby="chart-title">');
    expect(html).toContain(
      '<title id="chart-title">Bar chart of credits used per day from 20 Nov 2026 to 24 Nov 2026: 61 credits in total; the busiest day was 23 Nov 2026 with 35 credits.</title>',
    );
  });

  it('repeats the chart as a table for screen readers', () => {
    const html = renderUsagePage(page());
    const table = html.slice(html.indexOf('<table class="visually-hidden">'));
    expect(table).toContain('<caption>Credits used per day</caption>');
    expect(table).toContain('<tr><th scope="row">21 Nov 2026</th><td>26</td></tr>');
    expect(table).toContain('<tr><th scope="row">23 Nov 2026</th><td>35</td></tr>');
  });

  it('shows a friendly empty state instead of a chart when nothing was used', () => {
    const html = renderUsagePage(page({ usage: { ...page().usage, total: 0, byOperation: [], byDay: [] }, biggestQueries: [] }));
    expect(html).not.toContain('<svg');
    expect(html).toContain('No credits used between 20 Nov 2026 and 24 Nov 2026.');
    expect(html).toContain('Nothing to break down yet.');
    expect(html).toContain('No metered queries yet.');
  });

  it('states the runway only when there is a pace to measure it from', () => {
    expect(renderUsagePage(page())).toContain('At your pace of the last 7 days, about 5 days left.');
    expect(renderUsagePage(page({ runwayDays: 0.4 }))).toContain('At your pace of the last 7 days, less than a day left.');
    expect(renderUsagePage(page({ runwayDays: undefined }))).not.toContain('At your pace');
  });

  it('leads with the balance and its as-of time', () => {
    const html = renderUsagePage(page());
    expect(html).toMatch(/<p class="amount">42 <span class="unit">credits<\/span><\/p>\n<p class="as-of">as of 24 Nov 2026, 09:30 UTC<\/p>/);
    expect(html.indexOf('balance-heading')).toBeLessThan(html.indexOf('chart-heading'));
  });

  it('states what open holds reserve, outside the balance, only when something is held', () => {
    expect(renderUsagePage(page())).not.toContain('class="held"');
    const html = renderUsagePage(page({ balance: { available: 42, held: 1, asOf: '2026-11-24T09:30:00.000Z' } }));
    expect(html).toContain('<p class="held">Not included: 1 credit reserved for work still running (charged when it finishes, returned if it fails).</p>');
  });

  it('links each top-up pack and each other rollover plan; the current plan is marked instead', () => {
    const html = renderUsagePage(page({ planName: 'Starter' }));
    for (const pack of pricing.topUps) {
      expect(html).toContain(
        `href="https://billing.example/buy/${pack.id}">Buy<span class="visually-hidden"> ${pack.credits.toLocaleString('en-US')} credits</span></a>`,
      );
    }
    expect(html).toContain('<p class="price">$5.00</p>');
    expect(html).toContain('href="https://billing.example/plan/growth">Switch to Growth</a>');
    expect(html).not.toContain('plan/starter');
    expect(html).toContain('<p class="badge">Your plan</p>');
  });

  it('offers a remind-me-later form posting one labelled `after` choice', () => {
    const html = renderUsagePage(page());
    expect(html).toContain('<form class="remind" method="post" action="/v1/reminders?token=t.sig">');
    expect(REMINDER_DELAYS).toEqual(['PT4H', 'P1D', 'P3D', 'P7D']);
    for (const delay of REMINDER_DELAYS)
      expect(html).toMatch(new RegExp(`<label class="choice"><input type="radio" name="after" value="${delay}"( checked)?> [^<]+</label>`));
    expect(html.match(/ checked>/g)).toHaveLength(1);
  });

  it('summarises the alert settings and shows the notice', () => {
    expect(renderUsagePage(page({ notice: 'Reminder set.' }))).toContain('<p class="notice" role="status">Reminder set.</p>');
    expect(renderUsagePage(page())).toContain('On. We email ada@example.com when your balance falls to 50%, 20% and 5% of your last top-up.');
    expect(renderUsagePage(page({ alerts: { enabled: false, thresholds: [50], email: 'ada@example.com' } }))).toContain('Off.');
  });
});

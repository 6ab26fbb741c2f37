import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesSender } from '../../functions/alerts/ses-sender.ts';
import { copyFor } from '../../functions/copy/render.ts';
import { changeText, renderDigestEmail } from '../../functions/digests/email.ts';
import { lastCompletedPeriod } from '../../functions/digests/period.ts';
import { reportRoutes } from '../../functions/funnel/routes.ts';
import { httpHandler } from '../../functions/http/handler.ts';
import type { Clock } from '../../functions/shared/clock.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { header, mailTo, newAddress } from '../support/inbox.ts';

const DAY = 86_400_000;

describe('digest periods', () => {
  it.each([
    ['weekly', '2026-11-30T06:00:00Z', '2026-W48', '2026-11-23', '2026-11-30', '2026-11-16'],
    ['weekly', '2026-12-02T12:00:00Z', '2026-W48', '2026-11-23', '2026-11-30', '2026-11-16'],
    ['monthly', '2026-12-01T06:00:00Z', '2026-11', '2026-11-01', '2026-12-01', '2026-10-01'],
    ['monthly', '2026-01-15T00:00:00Z', '2025-12', '2025-12-01', '2026-01-01', '2025-11-01'],
  ] as const)('%s at %s: the last ended period is %s', (kind, now, id, from, to, previousFrom) => {
    const period = lastCompletedPeriod(kind, new Date(now));
    expect([period.id, period.from.toISOString().slice(0, 10), period.to.toISOString().slice(0, 10)]).toEqual([id, from, to]);
    expect(period.previous).toEqual({ from: new Date(`${previousFrom}T00:00:00Z`), to: period.from });
  });

  it('words the change against the period before, in the customer’s language', () => {
    const en = copyFor('en', {});
    expect(changeText(13, 0, en)).toBe('new');
    expect(changeText(10, 10, en)).toBe('no change');
    expect(changeText(15, 10, en)).toBe('+5 credits (+50%)');
    expect(changeText(5, 10, en)).toBe('−5 credits (−50%)');
    expect(changeText(15, 10, copyFor('de', {}))).toMatch(/^5 Credits mehr \(50\s%\smehr\)$/);
  });

  it('speaks the account’s language, with dates and numbers as people read them', () => {
    const period = lastCompletedPeriod('weekly', new Date('2026-11-30T06:00:00Z'));
    const input = {
      name: 'Ada',
      period,
      balance: 1234,
      asOf: '2026-11-30T06:00:00.000Z',
      usage: [{ operation: 'search', count: 3, credits: 1200 }],
      previous: [],
      runwayDays: 9.6,
      links: { usage: 'https://u', topUp: 'https://t', remind: 'https://r', digestOff: 'https://o' },
    };
    const de = renderDigestEmail(input, copyFor('de', {}));
    expect(de.subject).toBe('Ihr Verbrauch diese Woche: 1.200 Credits (neu)');
    expect(de.text).toContain('search: 3 Anfragen – 1.200 Credits (neu)');
    expect(de.html).toContain('<html lang="de">');
    const fr = renderDigestEmail(input, copyFor('fr', {}));
    expect(fr.subject).toContain('Votre consommation de la semaine');
    for (const email of [de, fr, renderDigestEmail(input, copyFor('en', {}))]) {
      // No raw ISO timestamp anywhere a person reads.
      expect(`${email.subject}\n${email.text}`).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    }
  });
});

describe('usage digests', () => {
  let app: TestApp;
  // The job runs "next Monday": the week that just ended is the one this test's usage happens in.
  const now = new Date();
  const nextMonday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + (7 - ((now.getUTCDay() + 6) % 7)) * DAY + 3_600_000);
  const clock: Clock = { now: () => nextMonday };

  beforeAll(async () => {
    app = await startTestApp({ lambdas: () => ({ reports: httpHandler(reportRoutes({ clock, sender: sesSender() })) }) });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const runDigests = (period: unknown, token = ADMIN_KEY) => call(app.url, 'POST', '/v1/jobs/digest/run', { token, body: { period } });

  it('sends the opted-in accounts one digest per period however often the job runs, and one click turns only the digest off', async () => {
    const weekly = newAddress();
    const off = newAddress();
    const monthly = newAddress();
    const a = await newCustomer(app.url, 100, undefined, weekly);
    const b = await newCustomer(app.url, 100, undefined, off);
    const c = await newCustomer(app.url, 100, undefined, monthly);
    for (const body of [...Array.from({ length: 3 }, () => ({ operation: 'search', input: { q: 'bolt' } })), { operation: 'report' }]) {
      expect((await call(app.url, 'POST', '/v1/queries', { token: a.apiKey, body })).status).toBe(200);
    }
    const optIn = await call(app.url, 'PUT', '/v1/alerts', { token: a.apiKey, body: { digest: 'weekly' } });
    expect(optIn.status).toBe(200);
    expect(optIn.body).toMatchObject({ digest: 'weekly', enabled: true });
    expect((await call(app.url, 'GET', '/v1/alerts', { token: b.apiKey })).body.digest).toBe('off');
    expect((await call(app.url, 'PUT', `/v1/accounts/${c.accountId}/alerts`, { token: ADMIN_KEY, body: { digest: 'monthly' } })).body.digest).toBe('monthly');
    await app.settle();

    // Two runs at once, then a third: one digest.
    const runs = await Promise.all([runDigests('weekly'), runDigests('weekly')]);
    const again = await runDigests('weekly');
    for (const run of [...runs, again]) expect(run.status).toBe(200);
    const bodies = [...runs, again].map((run) => run.body);
    expect(bodies.reduce((sum, run) => sum + run.sent, 0)).toBe(1);
    expect(bodies.reduce((sum, run) => sum + run.already, 0)).toBe(2);
    expect(bodies[0].period).toBe(lastCompletedPeriod('weekly', nextMonday).id);

    const mail = await mailTo(weekly);
    expect(mail).toHaveLength(1);
    const [digest] = mail;
    expect(digest?.subject).toBe('Your weekly usage: 13 credits (new)');
    expect(digest?.body.text).toContain('search: 3 requests, 3 credits (new)');
    expect(digest?.body.text).toContain('report: 1 request, 10 credits (new)');
    expect(digest?.body.text).toContain('Balance: 87 credits');
    expect(digest?.body.text).toContain('At your pace of the last 7 days');
    expect(digest?.body.html).toContain('<table');
    expect(digest?.body.text).toMatch(/Add credits: http/);
    expect(digest?.body.text).toMatch(/Remind me later: http.*\/remind\?token=/);
    expect(await mailTo(off)).toHaveLength(0);
    expect(await mailTo(monthly)).toHaveLength(0);

    const unsubscribe = header(digest ?? ({ headers: [] } as never), 'List-Unsubscribe')?.slice(1, -1) ?? '';
    expect(unsubscribe).toContain('/v1/alerts/digest/unsubscribe?token=');
    expect(header(digest ?? ({ headers: [] } as never), 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const page = await fetch(unsubscribe);
    expect(page.status).toBe(200);
    const click = await fetch(unsubscribe, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(click.status).toBe(200);
    expect((await call(app.url, 'GET', '/v1/alerts', { token: a.apiKey })).body).toMatchObject({ digest: 'off', enabled: true });
    // Off the work list: the next run does not even look at the account.
    expect((await runDigests('weekly')).body).toMatchObject({ sent: 0, already: 0, skipped: 0 });

    // The monthly digest goes to the monthly subscriber only.
    const month = await runDigests('monthly');
    expect(month.body).toMatchObject({ sent: 1, failed: 0 });
    expect(await mailTo(monthly)).toHaveLength(1);
    expect(await mailTo(weekly)).toHaveLength(1);
  });

  it('refuses a bad period, and anyone but the admin', async () => {
    const bad = await runDigests('daily');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('body.period');
    expect((await call(app.url, 'PUT', '/v1/alerts', { token: (await newCustomer(app.url)).apiKey, body: { digest: 'daily' } })).body.detail).toContain(
      'body.digest',
    );
    const client = await newCustomer(app.url);
    expect((await runDigests('weekly', client.apiKey)).status).toBe(403);
  });
});

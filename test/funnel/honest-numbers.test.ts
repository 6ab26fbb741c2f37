import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishDailyRecoveryRate, recordLapses } from '../../functions/funnel/daily.ts';
import { recordFunnel, recordVisit } from '../../functions/funnel/record.ts';
import { recoveryReportFor } from '../../functions/funnel/routes.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

/**
 * Item 6 of issue 14: a known mix of episodes goes through the funnel's stream step (delivered
 * twice, payments before and after the balance change that they paid for), and every figure of
 * the report — interval and p-value included — is compared with values computed here from the
 * scenario alone, by other means than the code under test (bisection for the Wilson bounds,
 * numerical integration for the normal tail).
 */

const MIN = 60_000;
const NOW = new Date('2026-11-20T12:00:00Z');
const FROM = '2026-11-01';
const TO = '2026-11-20';

type Action = 'usageViewed' | 'reminderSet' | 'checkoutStarted';
interface Spec {
  wall: string;
  plan: 'free' | 'pro';
  locale?: 'en' | 'de';
  variant?: 'b';
  warned?: boolean;
  actions?: Partial<Record<Action, number>>;
  /** Minutes after the wall; `grant` is the free monthly renewal, which ends the episode unpaid. */
  end?: { after: number; by: 'checkout' | 'admin' | 'invoice' | 'grant'; amount?: [number, string]; paymentFirst?: boolean };
  resumedAfter?: number;
}

const scenario: Spec[] = [
  {
    wall: '2026-11-02T10:00:00Z',
    plan: 'free',
    locale: 'de',
    variant: 'b',
    warned: true,
    actions: { usageViewed: 10 },
    end: { after: 90, by: 'checkout', amount: [500, 'usd'] },
    resumedAfter: 95,
  },
  { wall: '2026-11-02T18:00:00Z', plan: 'free', locale: 'de', end: { after: 2870, by: 'admin' } },
  {
    wall: '2026-11-03T09:00:00Z',
    plan: 'pro',
    locale: 'en',
    variant: 'b',
    actions: { checkoutStarted: 5 },
    end: { after: 4320, by: 'checkout', amount: [1000, 'usd'], paymentFirst: true },
  },
  { wall: '2026-11-05T12:00:00Z', plan: 'pro', locale: 'en', warned: true },
  { wall: '2026-11-05T13:00:00Z', plan: 'free', variant: 'b', actions: { reminderSet: 30 } },
  {
    wall: '2026-11-08T08:00:00Z',
    plan: 'free',
    locale: 'de',
    variant: 'b',
    actions: { usageViewed: 1, checkoutStarted: 3 },
    end: { after: 20, by: 'checkout', amount: [2000, 'eur'], paymentFirst: true },
  },
  { wall: '2026-11-10T23:30:00Z', plan: 'pro', locale: 'de', end: { after: 600, by: 'invoice' } },
  { wall: '2026-11-12T00:10:00Z', plan: 'free', locale: 'en', end: { after: 100, by: 'grant' } },
  { wall: '2026-11-15T12:00:00Z', plan: 'pro', locale: 'en', variant: 'b', end: { after: 2880, by: 'admin' } },
  { wall: '2026-11-15T12:00:00Z', plan: 'free', locale: 'en', end: { after: 2881, by: 'admin' } },
  { wall: '2026-11-19T20:00:00Z', plan: 'free', locale: 'de', variant: 'b', warned: true },
  { wall: '2026-11-19T06:00:00Z', plan: 'pro', locale: 'en', end: { after: 60, by: 'checkout', amount: [700, 'usd'] } },
  { wall: '2026-11-18T11:00:00Z', plan: 'free', locale: 'de' },
  { wall: '2026-10-30T10:00:00Z', plan: 'free', locale: 'de', end: { after: 30, by: 'admin' } },
  { wall: '2026-11-20T11:00:00Z', plan: 'free', locale: 'en', variant: 'b', actions: { usageViewed: 5 } },
];

const at = (spec: Spec, minutes: number) => new Date(Date.parse(spec.wall) + minutes * MIN);
const paidSpec = (spec: Spec) => spec.end !== undefined && spec.end.by !== 'grant';

// ---- The expected figures, from the scenario alone ----

function expectedGroups(keysOf: (spec: Spec) => string[]) {
  const inWindow = scenario.filter((spec) => spec.wall.slice(0, 10) >= FROM && spec.wall.slice(0, 10) <= TO);
  const keys = [...new Set(inWindow.flatMap(keysOf))].sort();
  return keys.map((key) => {
    const members = inWindow.filter((spec) => keysOf(spec).includes(key));
    const recoveredSpecs = members.filter((spec) => paidSpec(spec) && (spec.end?.after ?? Infinity) <= 48 * 60);
    const pending = members.filter((spec) => !paidSpec(spec) && NOW.getTime() - Date.parse(spec.wall) < 48 * 60 * MIN).length;
    const decided = members.length - pending;
    const revenue = new Map<string, number>();
    for (const spec of recoveredSpecs) {
      const [amount, currency] = spec.end?.amount ?? [0, ''];
      if (currency) revenue.set(currency.toUpperCase(), (revenue.get(currency.toUpperCase()) ?? 0) + amount);
    }
    const hours = recoveredSpecs.map((spec) => (spec.end?.after ?? 0) / 60).sort((a, b) => a - b);
    const middle = hours.length / 2;
    const median = hours.length === 0 ? null : hours.length % 2 ? hours[Math.floor(middle)] : ((hours[middle - 1] ?? 0) + (hours[middle] ?? 0)) / 2;
    const count = (test: (spec: Spec) => boolean) => members.filter(test).length;
    return {
      key,
      episodes: members.length,
      pending,
      recovered: recoveredSpecs.length,
      rate: decided > 0 ? recoveredSpecs.length / decided : null,
      ci95: decided > 0 ? wilsonByBisection(recoveredSpecs.length, decided) : null,
      medianHoursToRecover: median,
      revenueRecovered: [...revenue].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ amount: (amount / 100).toFixed(2), currency })),
      stages: {
        wall: members.length,
        warned: count((spec) => spec.warned === true),
        usageViewed: count((spec) => spec.actions?.usageViewed !== undefined),
        reminderSet: count((spec) => spec.actions?.reminderSet !== undefined),
        checkoutStarted: count((spec) => spec.actions?.checkoutStarted !== undefined),
        paid: count(paidSpec),
        resumed: count((spec) => spec.resumedAfter !== undefined),
      },
    };
  });
}

const Z = 1.959963984540054;

/** The Wilson bounds are the p where |p̂ − p| = z·√(p(1−p)/n): found by bisection on each side of p̂. */
function wilsonByBisection(x: number, n: number): [number, number] {
  const phat = x / n;
  const gap = (p: number) => Math.abs(phat - p) - Z * Math.sqrt((p * (1 - p)) / n);
  const root = (lo: number, hi: number) => {
    // gap(lo) and gap(hi) have opposite signs (or the root is at a boundary).
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (Math.sign(gap(mid)) === Math.sign(gap(lo))) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return [phat === 0 ? 0 : root(0, phat), phat === 1 ? 1 : root(1, phat)];
}

/** Two-sided tail of the standard normal beyond |z|, by Simpson's rule on its density. */
function normalTwoSided(z: number): number {
  const steps = 20_000;
  const b = Math.abs(z);
  const h = b / steps;
  const density = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  let sum = density(0) + density(b);
  for (let i = 1; i < steps; i++) sum += density(i * h) * (i % 2 ? 4 : 2);
  return 2 * (0.5 - (sum * h) / 3);
}

function pooledPValue(x1: number, n1: number, x2: number, n2: number): number {
  const p = (x1 + x2) / (n1 + n2);
  return normalTwoSided((x1 / n1 - x2 / n2) / Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2)));
}

function compare(report: Awaited<ReturnType<typeof recoveryReportFor>>, keysOf: (spec: Spec) => string[]) {
  const expected = expectedGroups(keysOf);
  expect(report.from).toBe(FROM);
  expect(report.to).toBe(TO);
  expect(report.groups.map((group) => group.key)).toEqual(expected.map((group) => group.key));
  for (const [i, want] of expected.entries()) {
    const got = report.groups[i];
    expect(got, want.key).toBeDefined();
    if (!got) continue;
    expect({ key: got.key, episodes: got.episodes, pending: got.pending, recovered: got.recovered, stages: got.stages, revenue: got.revenueRecovered }).toEqual(
      {
        key: want.key,
        episodes: want.episodes,
        pending: want.pending,
        recovered: want.recovered,
        stages: want.stages,
        revenue: want.revenueRecovered,
      },
    );
    // The report rounds rates and bounds to 4 decimals and hours to 2: the difference is at most half the last digit.
    expectNear(got.recoveryRate, want.rate, 4, `${want.key} rate`);
    expectNear(got.ci95?.[0] ?? null, want.ci95?.[0] ?? null, 4, `${want.key} ci95 low`);
    expectNear(got.ci95?.[1] ?? null, want.ci95?.[1] ?? null, 4, `${want.key} ci95 high`);
    expectNear(got.medianHoursToRecover, want.medianHoursToRecover ?? null, 2, `${want.key} median`);
  }
  return expected;
}

function expectNear(got: number | null | undefined, want: number | null, decimals: number, what: string) {
  if (want === null) {
    expect(got ?? null, what).toBeNull();
    return;
  }
  expect(got, what).toBeTypeOf('number');
  expect(Math.abs((got ?? Number.NaN) - want), what).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-9);
}

// ---- Driving the scenario through the funnel ----

let sequence = 0;
function streamRecord(eventName: 'INSERT' | 'MODIFY', keys: object, next: object, old?: object): DynamoDBRecord {
  const options = { removeUndefinedValues: true };
  return {
    eventName,
    dynamodb: {
      Keys: marshall(keys) as never,
      NewImage: marshall(next, options) as never,
      OldImage: old ? (marshall(old, options) as never) : undefined,
      SequenceNumber: String(++sequence),
    },
  };
}

describe('the recovery report: honest numbers from a known mix of episodes', () => {
  let app: TestApp;
  const accounts: string[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    for (const spec of scenario) {
      const { accountId } = await newCustomer(app.url);
      accounts.push(accountId);
      if (spec.locale) {
        await app.client.send(
          new UpdateItemCommand({
            TableName: app.tableName,
            Key: marshall({ pk: `ACCOUNT#${accountId}`, sk: 'ACCOUNT' }),
            UpdateExpression: 'SET locale = :locale',
            ExpressionAttributeValues: marshall({ ':locale': spec.locale }),
          }),
        );
      }
    }
    // The alert episodes as the stream consumer (and the copy catalogue) record them; the real poller turns them into walls.
    for (const [i, spec] of scenario.entries()) {
      const item = {
        pk: `ACCOUNT#${accounts[i]}`,
        sk: 'ALERTS#000000000001',
        depletionStartedAt: spec.wall,
        depletionPlan: spec.plan,
        copyVariant: spec.variant,
        sentLowest: spec.warned ? 20 : undefined,
        updatedAt: spec.warned ? at(spec, -120).toISOString() : undefined,
      };
      await app.client.send(new PutItemCommand({ TableName: app.tableName, Item: marshall(item, { removeUndefinedValues: true }) }));
    }
    await app.settle();

    const records: DynamoDBRecord[] = [];
    const paymentsFirst: DynamoDBRecord[] = [];
    for (const [i, spec] of scenario.entries()) {
      const accountId = accounts[i] ?? '';
      const pk = `ACCOUNT#${accountId}`;
      if (spec.actions?.usageViewed !== undefined) await recordVisit(accountId, 'usageViewed', at(spec, spec.actions.usageViewed));
      if (spec.actions?.checkoutStarted !== undefined) await recordVisit(accountId, 'checkoutStarted', at(spec, spec.actions.checkoutStarted));
      if (spec.actions?.reminderSet !== undefined) {
        const createdAt = at(spec, spec.actions.reminderSet).toISOString();
        records.push(streamRecord('INSERT', { pk, sk: `REMINDER#rem_${i}` }, { entity: 'reminder', accountId, baselineSeq: 1, createdAt }));
      }
      if (spec.end) {
        const { by, after } = spec.end;
        const txnId = by === 'invoice' ? `grant_in_${i}` : by === 'grant' ? 'grant_2026-11' : `tu_${i}`;
        const lastChange = {
          id: txnId,
          type: by === 'invoice' || by === 'grant' ? 'grant' : 'top_up',
          credits: 100,
          at: at(spec, after).toISOString(),
          reference: by === 'checkout' ? `checkout cs_${i}` : undefined,
        };
        const change = streamRecord(
          'MODIFY',
          { pk, sk: 'ACCOUNT' },
          { entity: 'account', id: accountId, plan: spec.plan, baselineSeq: 2, lastChange },
          { entity: 'account', id: accountId, plan: spec.plan, baselineSeq: 1 },
        );
        records.push(change);
        if (spec.end.amount) {
          const [amount, currency] = spec.end.amount;
          const payment = streamRecord('INSERT', { pk: `PAYMENT#stripe:pi_${i}`, sk: 'PAYMENT' }, { entity: 'payment', accountId, txnId, amount, currency });
          (spec.end.paymentFirst ? paymentsFirst : records).push(payment);
        }
      }
      if (spec.resumedAfter !== undefined) {
        const old = { entity: 'txn', accountId, status: 'parked', createdAt: spec.wall, updatedAt: spec.wall };
        const next = { ...old, status: 'completed', updatedAt: at(spec, spec.resumedAfter).toISOString() };
        records.push(streamRecord('MODIFY', { pk, sk: `TXN#q_${i}` }, next, old));
      }
    }
    // Payments that reach the funnel before the balance change they paid for, then every batch delivered twice.
    for (let round = 0; round < 2; round++) {
      expect(await recordFunnel(paymentsFirst)).toEqual([]);
      expect(await recordFunnel(records)).toEqual([]);
    }
    // A usage view replayed (a reload) adds nothing.
    const first = scenario[0];
    if (first?.actions?.usageViewed !== undefined) await recordVisit(accounts[0] ?? '', 'usageViewed', at(first, 200));
    await app.settle();
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('groupBy=none: one group of every episode whose wall falls in the window', async () => {
    const [all] = compare(await recoveryReportFor(FROM, TO, 'none', NOW), () => ['all']);
    // Sanity of the scenario itself: 14 in the window, 2 pending, 6 recovered of 12 decided.
    expect(all).toMatchObject({ episodes: 14, pending: 2, recovered: 6 });
  });

  it('groupBy=plan and groupBy=locale', async () => {
    compare(await recoveryReportFor(FROM, TO, 'plan', NOW), (spec) => [spec.plan]);
    compare(await recoveryReportFor(FROM, TO, 'locale', NOW), (spec) => [spec.locale ?? 'unset']);
  });

  it('groupBy=action: each action taken after the wall, and "none"', async () => {
    compare(await recoveryReportFor(FROM, TO, 'action', NOW), (spec) => {
      const taken = Object.keys(spec.actions ?? {});
      return taken.length > 0 ? taken : ['none'];
    });
  });

  it('groupBy=week: ISO weeks of the walls', async () => {
    const monday = Date.parse('2026-11-02T00:00:00Z'); // a Monday, in ISO week 45 of 2026
    compare(await recoveryReportFor(FROM, TO, 'week', NOW), (spec) => [`2026-W${45 + Math.floor((Date.parse(spec.wall) - monday) / (7 * 86_400_000))}`]);
  });

  it('groupBy=variant: the base copy and variant b, with the two-proportion p-value against the base', async () => {
    const report = await recoveryReportFor(FROM, TO, 'variant', NOW);
    const expected = compare(report, (spec) => [spec.variant ?? 'base']);
    const [base, b] = expected;
    if (!base || !b) throw new Error('both groups expected');
    const want = pooledPValue(b.recovered, b.episodes - b.pending, base.recovered, base.episodes - base.pending);
    expect(report.groups.find((group) => group.key === 'base')?.pValue).toBeNull();
    const got = report.groups.find((group) => group.key === 'b')?.pValue ?? Number.NaN;
    // Four significant digits.
    expect(Math.abs(got - want) / want).toBeLessThan(1e-3);
    expect(want).toBeGreaterThan(0);
  });

  it('a window counts only the walls of its days, and the pending ones are decided once 48 h have passed', async () => {
    const [early] = (await recoveryReportFor('2026-11-01', '2026-11-05', 'none', NOW)).groups;
    expect(early).toMatchObject({ episodes: 5, pending: 0, recovered: 2 });
    const later = new Date(NOW.getTime() + 48 * 60 * MIN);
    const [all] = (await recoveryReportFor(FROM, TO, 'none', later)).groups;
    expect(all).toMatchObject({ episodes: 14, pending: 0, recovered: 6, recoveryRate: Number((6 / 14).toFixed(4)) });
  });

  it('the daily job: lapses the unpaid walls 30 days old once, and the recovery rate of the latest decided day', async () => {
    // Walls of 2026-11-05 at 12:00 and 13:00 are unpaid; the one of 2026-11-03 was paid (late), those of 2026-11-02 recovered.
    expect(await recordLapses(new Date('2026-12-05T12:30:00Z'))).toBe(1);
    expect(await recordLapses(new Date('2026-12-05T13:00:00Z'))).toBe(1);
    expect(await recordLapses(new Date('2026-12-05T13:00:00Z'))).toBe(0);
    expect(await recordLapses(new Date('2026-12-04T13:00:00Z'))).toBe(0);
    expect(await publishDailyRecoveryRate(new Date('2026-11-05T01:00:00Z'))).toEqual({ day: '2026-11-02', rate: 1 });
    expect(await publishDailyRecoveryRate(new Date('2026-11-06T00:00:00Z'))).toEqual({ day: '2026-11-03', rate: 0 });
    expect(await publishDailyRecoveryRate(new Date('2026-11-21T00:00:00Z'))).toEqual({ day: '2026-11-18', rate: 0 });
  });

  it('serves the same report over HTTP to the admin, and names a bad parameter', async () => {
    const ok = await call(app.url, 'GET', `/v1/reports/recovery?from=${FROM}&to=${TO}&groupBy=plan`, { token: ADMIN_KEY });
    expect(ok.status).toBe(200);
    // The live clock is past the scenario's 48 h, so nothing of it is pending any more; the episodes are the same.
    expect(ok.body.groups.map((group: { key: string; episodes: number }) => [group.key, group.episodes])).toEqual([
      ['free', 9],
      ['pro', 5],
    ]);
    for (const [query, named] of [
      ['groupBy=colour', 'query.groupBy'],
      ['from=2026-13-01', 'query.from'],
      ['to=yesterday', 'query.to'],
      ['from=2026-11-20&to=2026-11-01', 'query.from'],
      ['from=2024-01-01&to=2026-11-01', 'query.from'],
      ['extra=1', 'query'],
    ] as const) {
      const bad = await call(app.url, 'GET', `/v1/reports/recovery?${query}`, { token: ADMIN_KEY });
      expect(bad.status, query).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
      expect(bad.body.detail, query).toContain(named);
    }
    const client = await newCustomer(app.url);
    expect((await call(app.url, 'GET', '/v1/reports/recovery', { token: client.apiKey })).status).toBe(403);
    expect((await call(app.url, 'GET', '/v1/reports/recovery')).status).toBe(401);
  });
});

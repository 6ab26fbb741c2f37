import { describe, expect, it } from 'vitest';
import { crossedThreshold, isNews } from '../../functions/alerts/crossings.ts';
import { runwayDays } from '../../functions/alerts/runway.ts';
import type { LedgerEntry } from '../../functions/metering/ledger.ts';

const image = (balance: number, extra: object = {}) => ({ balance, baseline: 200, baselineSeq: 3, email: 'a@b.example', ...extra });

describe('crossedThreshold', () => {
  it.each([
    [150, 101, undefined],
    [150, 100, 50],
    [101, 99, 50],
    [100, 99, undefined],
    [150, 30, 20],
    [150, 10, 5],
    [41, 40, 20],
    [40, 39, undefined],
  ])('%i → %i crosses %s', (from, to, expected) => {
    expect(crossedThreshold(image(from), image(to))).toBe(expected);
  });

  it('a rising balance (top-up, refund) crosses nothing', () => {
    expect(crossedThreshold(image(10), image(150))).toBeUndefined();
  });

  it('a change that starts a new episode (top-up) crosses nothing', () => {
    expect(crossedThreshold(image(150), image(90, { baselineSeq: 4 }))).toBeUndefined();
  });

  it('uses the account thresholds when set', () => {
    expect(crossedThreshold(image(170, { alerts: { thresholds: [80], enabled: true } }), image(150, { alerts: { thresholds: [80], enabled: true } }))).toBe(80);
  });

  it('a brand-new account (no old image) crosses nothing', () => {
    expect(crossedThreshold(undefined, image(0))).toBeUndefined();
  });
});

describe('isNews', () => {
  it('only a threshold below the lowest already sent is news', () => {
    expect(isNews(50, undefined)).toBe(true);
    expect(isNews(20, { sentLowest: 50 })).toBe(true);
    expect(isNews(50, { sentLowest: 50 })).toBe(false);
    expect(isNews(50, { sentLowest: 20 })).toBe(false);
  });
});

describe('runwayDays', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const spend = (credits: number, daysAgo: number): LedgerEntry => ({
    id: `e${daysAgo}`,
    seq: 1,
    type: 'debit',
    credits: -credits,
    balanceAfter: 0,
    at: new Date(now.getTime() - daysAgo * 86_400_000).toISOString(),
  });

  it('divides the balance by the average daily spend of the last 7 days', () => {
    expect(runwayDays(60, [spend(70, 1), spend(500, 9)], now)).toBeCloseTo(6);
  });

  it('has no estimate without spending', () => {
    expect(runwayDays(60, [], now)).toBeUndefined();
  });
});

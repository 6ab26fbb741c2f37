import { describe, expect, it } from 'vitest';
import { applyFact, counterDeltas, type FunnelEpisode, type FunnelFact, groupsOf } from '../../functions/funnel/episode.ts';
import { isoWeek } from '../../functions/funnel/report.ts';
import { erfc, histogramMedian, twoProportionPValue, wilsonInterval } from '../../functions/funnel/stats.ts';

const start: FunnelEpisode = { accountId: 'acc_x', seq: 3, version: 0 };
const wall: FunnelFact = { kind: 'wall', at: '2026-11-02T10:00:00.000Z', plan: 'free', locale: 'de' };
const view: FunnelFact = { kind: 'action', stage: 'usageViewed', at: '2026-11-02T10:05:00.000Z' };
const paid: FunnelFact = { kind: 'end', at: '2026-11-02T11:00:00.000Z', paid: true, txnId: 'tu_1' };
const amount: FunnelFact = { kind: 'amount', txnId: 'tu_1', amount: 500, currency: 'usd' };

function replay(facts: FunnelFact[]): { episode: FunnelEpisode; totals: Map<string, number> } {
  let episode = start;
  const totals = new Map<string, number>();
  for (const fact of facts) {
    const next = applyFact(episode, fact);
    if (!next) continue;
    for (const delta of counterDeltas(episode.wallAt ? episode : undefined, next)) {
      for (const [name, value] of Object.entries(delta.add)) {
        const key = `${delta.group.dimension}#${delta.group.value}#${name}`;
        totals.set(key, (totals.get(key) ?? 0) + value);
      }
    }
    episode = { ...next, version: episode.version + 1 };
  }
  return { episode, totals };
}

describe('a funnel episode', () => {
  it('ends in the same state and the same counts whatever order its facts arrive in, and however often', () => {
    const orders = [
      [wall, view, paid, amount],
      [paid, amount, wall, view],
      [paid, wall, amount, view, wall, paid, amount, view],
    ];
    const results = orders.map((facts) => replay(facts));
    for (const result of results) {
      expect(result.totals).toEqual(results[0]?.totals);
      expect({ ...result.episode, version: 0 }).toEqual({ ...results[0]?.episode, version: 0 });
    }
    const totals = results[0]?.totals;
    expect(totals?.get('all#-#wall')).toBe(1);
    expect(totals?.get('all#-#recovered')).toBe(1);
    expect(totals?.get('all#-#rev_USD')).toBe(500);
    expect(totals?.get('all#-#rm_60')).toBe(1);
    // Joining an action group later brings the facts the episode already had.
    expect(totals?.get('action#usageViewed#wall')).toBe(1);
    expect(totals?.get('action#usageViewed#paid')).toBe(1);
  });

  it('takes an amount only for the payment that ended it (an earlier one waits on the payment meeting item)', () => {
    expect(applyFact({ ...start, wallAt: wall.at }, amount)).toBeUndefined();
    expect(replay([wall, paid, { ...amount, txnId: 'tu_other' }]).episode.amount).toBeUndefined();
  });

  it('ignores an action before the wall and a visit after the payment; a resume after it counts', () => {
    const { episode } = replay([
      wall,
      { kind: 'action', stage: 'reminderSet', at: '2026-11-02T09:00:00.000Z' },
      paid,
      { kind: 'action', stage: 'checkoutStarted', at: '2026-11-02T12:00:00.000Z' },
      { kind: 'action', stage: 'resumed', at: '2026-11-02T12:00:00.000Z' },
    ]);
    expect(episode.reminderSetAt).toBeUndefined();
    expect(episode.checkoutStartedAt).toBeUndefined();
    expect(episode.resumedAt).toBe('2026-11-02T12:00:00.000Z');
  });

  it('is recovered up to exactly 48 h after the wall, and lapses 30 days after an unpaid wall', () => {
    const late = replay([wall, { kind: 'end', at: '2026-11-04T10:00:00.001Z', paid: true, txnId: 'tu_2' }]).episode;
    expect(late.recoveredAt).toBeUndefined();
    expect(replay([wall, { kind: 'end', at: '2026-11-04T10:00:00.000Z', paid: true, txnId: 'tu_2' }]).episode.recoveredAt).toBeDefined();
    expect(applyFact({ ...start, wallAt: wall.at }, { kind: 'lapsed', now: '2026-12-02T09:59:59.000Z' })).toBeUndefined();
    expect(applyFact({ ...start, wallAt: wall.at }, { kind: 'lapsed', now: '2026-12-02T10:00:00.000Z' })?.lapsedAt).toBe('2026-12-02T10:00:00.000Z');
    expect(applyFact(late, { kind: 'lapsed', now: '2027-01-01T00:00:00.000Z' })).toBeUndefined();
  });

  it('counts in all, its plan, its locale and, once known, its variant', () => {
    const { episode } = replay([wall, { ...wall, variant: 'b' } as FunnelFact]);
    expect(groupsOf(episode).map((group) => `${group.dimension}#${group.value}`)).toEqual(['all#-', 'plan#free', 'locale#de', 'variant#b']);
  });
});

describe('report statistics', () => {
  it('Wilson score interval: published values', () => {
    // 81 of 263 (Wilson 1927 as tabulated by Newcombe 1998, method 3): 0.2553 – 0.3662.
    const [low, high] = wilsonInterval(81, 263) ?? [0, 0];
    expect(low).toBeCloseTo(0.2553, 4);
    expect(high).toBeCloseTo(0.3662, 4);
    expect(wilsonInterval(0, 10)?.[0]).toBe(0);
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('erfc and the two-proportion p-value', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 7);
    // z = 1.96 → p ≈ 0.05
    expect(erfc(1.959963984540054 / Math.SQRT2)).toBeCloseTo(0.05, 6);
    expect(twoProportionPValue(5, 10, 5, 10)).toBeCloseTo(1, 6);
    expect(twoProportionPValue(0, 10, 0, 10)).toBe(1);
    expect(twoProportionPValue(1, 0, 5, 10)).toBeNull();
  });

  it('median of a histogram', () => {
    expect(histogramMedian(new Map([[5, 1]]))).toBe(5);
    expect(
      histogramMedian(
        new Map([
          [1, 2],
          [10, 2],
        ]),
      ),
    ).toBe(5.5);
    expect(histogramMedian(new Map())).toBeNull();
  });

  it.each([
    ['2026-11-02', '2026-W45'],
    ['2026-11-01', '2026-W44'],
    ['2026-01-01', '2026-W01'],
    ['2027-01-01', '2026-W53'],
    ['2024-12-30', '2025-W01'],
  ])('ISO week of %s is %s', (day, week) => {
    expect(isoWeek(day)).toBe(week);
  });
});

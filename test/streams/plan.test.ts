import { describe, expect, it } from 'vitest';
import type { AccountItem } from '../../functions/accounts/model.ts';
import type { TxnItem } from '../../functions/metering/txn.ts';
import { balanceAtCrossing, lowestBalance, planBatch, type StreamChange } from '../../functions/streams/plan.ts';

const at = '2026-11-29T12:00:00.000Z';
const account = (id: string, seq: number, balance: number, baselineSeq = 1) =>
  ({
    id,
    seq,
    balance,
    baselineSeq,
    lastChange: { id: `c${seq}`, type: 'debit', credits: -1, at },
  }) as unknown as AccountItem;
const change = (record: string, old: AccountItem | undefined, next: AccountItem): StreamChange<string> => ({ kind: 'account', record, old, account: next });
const refusal = (record: string, accountId: string): StreamChange<string> => ({ kind: 'refusal', record, txn: { accountId } as TxnItem });

describe('planBatch', () => {
  it('groups by account, keeps each account’s order, and writes one run of entries per account', () => {
    const plan = planBatch([
      change('a1', account('A', 1, 100), account('A', 2, 90)),
      change('b1', account('B', 7, 50), account('B', 8, 49)),
      change('a2', account('A', 2, 90), account('A', 3, 80)),
    ]);
    expect(plan.map((work) => work.accountId)).toEqual(['A', 'B']);
    const [a] = plan;
    expect(a?.steps).toHaveLength(1);
    const run = a?.steps[0];
    expect(run?.kind === 'run' && run.entries.map((entry) => [entry.seq, entry.balanceAfter])).toEqual([
      [2, 90],
      [3, 80],
    ]);
    expect(run?.kind === 'run' && run.first).toBe('a1');
  });

  it('a refusal splits an account’s runs, so the depletion email sees the changes before it and not after', () => {
    const [a] = planBatch([change('a1', account('A', 1, 10), account('A', 2, 5)), refusal('r1', 'A'), change('a2', account('A', 2, 5), account('A', 3, 4))]);
    expect(a?.steps.map((step) => (step.kind === 'run' ? `run@${step.first}` : `refusal@${step.record}`))).toEqual(['run@a1', 'refusal@r1', 'run@a2']);
  });

  it('skips records that change nothing (a new key, a rename, an unrelated item) without a step', () => {
    const same = account('A', 4, 30);
    expect(planBatch([change('k1', same, { ...same, name: 'Renamed' } as AccountItem), { kind: 'nothing', record: 'x' }])).toEqual([]);
  });

  it('one threshold decision per episode: from the balance before it to the lowest balance it reached', () => {
    const [a] = planBatch([
      change('a1', account('A', 1, 100, 1), account('A', 2, 40, 1)),
      change('a2', account('A', 2, 40, 1), account('A', 3, 70, 1)), // a refund
      change('t1', account('A', 3, 70, 1), account('A', 4, 170, 2)), // a top-up opens episode 2
      change('a3', account('A', 4, 170, 2), account('A', 5, 20, 2)),
    ]);
    const run = a?.steps[0];
    if (run?.kind !== 'run') throw new Error('expected a run');
    expect(run.segments.map((s) => ({ opened: s.opened?.record, before: s.before?.balance, lowest: lowestBalance(s), after: s.after.balance }))).toEqual([
      { opened: undefined, before: 100, lowest: 40, after: 70 },
      { opened: 't1', before: 170, lowest: 20, after: 20 },
    ]);
  });

  it('tells a crossing with the balance the crossing change left, as if each change were judged alone', () => {
    const image = (seq: number, balance: number) => ({ ...account('A', seq, balance), baseline: 100 }) as AccountItem;
    const [a] = planBatch([change('a1', image(1, 60), image(2, 50)), change('a2', image(2, 50), image(3, 45))]);
    const run = a?.steps[0];
    if (run?.kind !== 'run' || !run.segments[0]) throw new Error('expected a run');
    expect(balanceAtCrossing(run.segments[0])).toBe(50); // 50 % of 100 reached at 50, not at 45
  });
});

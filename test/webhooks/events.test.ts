import { describe, expect, it } from 'vitest';
import type { AccountItem } from '../../functions/accounts/model.ts';
import type { TxnItem } from '../../functions/metering/txn.ts';
import { depletedEventId, eventDataSchemas, planEvents, webhookEventSchema } from '../../functions/webhooks/events.ts';

const at = '2026-11-30T01:00:00.000Z';
const account = (fields: Partial<AccountItem>): AccountItem => ({
  id: 'acc_AAAAAAAAAAAAAAAA',
  name: 'Co',
  email: 'o@example.com',
  plan: 'free',
  balance: 100,
  seq: 1,
  keys: {},
  createdAt: at,
  updatedAt: at,
  baseline: 100,
  baselineSeq: 1,
  ...fields,
});
const txn = (fields: Partial<TxnItem>): TxnItem => ({
  id: 'q_BBBBBBBBBBBBBBBBBBBB',
  kind: 'query',
  accountId: 'acc_AAAAAAAAAAAAAAAA',
  status: 'parked',
  requestHash: 'h',
  credits: 30,
  operation: 'report',
  createdAt: at,
  updatedAt: at,
  resumableUntil: '2026-12-02T01:00:00.000Z',
  ...fields,
});

const topUp = (id: string, credits: number, reference?: string) => ({ id, type: 'top_up' as const, credits, reference, at });

describe('planEvents', () => {
  it('turns a top-up after a depletion into topup.completed and episode.recovered (waiting on the depletion event)', () => {
    const old = account({ balance: 5, seq: 4, baselineSeq: 1 });
    const now = account({ balance: 505, seq: 5, baseline: 505, baselineSeq: 5, lastChange: topUp('t_1', 500, 'checkout cs_1') });
    const planned = planEvents([{ kind: 'account', seq: '17', old, account: now }]);
    expect(planned.map((p) => p.event.type)).toEqual(['topup.completed', 'episode.recovered']);
    expect(planned[0]?.event.data).toMatchObject({ source: 'checkout', credits: 500, balance: 505, topUpId: 't_1' });
    expect(planned[1]?.afterDepletion).toBe(depletedEventId(now.id, 1));
    expect((planned[0]?.order ?? '') < (planned[1]?.order ?? '')).toBe(true);
  });

  it('names the top-up source: admin without a checkout reference, plan for a grant', () => {
    const old = account({});
    const admin = planEvents([{ kind: 'account', seq: '1', old, account: account({ seq: 2, baselineSeq: 2, lastChange: topUp('t_2', 10) }) }]);
    const grant = planEvents([
      { kind: 'account', seq: '2', old, account: account({ seq: 2, baselineSeq: 2, lastChange: { id: 'g_1', type: 'grant', credits: 10, at } }) },
    ]);
    expect(admin[0]?.event.data).toMatchObject({ source: 'admin' });
    expect(grant[0]?.event.data).toMatchObject({ source: 'plan' });
  });

  it('reports the lowest threshold a debit crossed, and a plan change', () => {
    const old = account({ balance: 60 });
    const now = account({ balance: 15, seq: 2, plan: 'pro', lastChange: { id: 'q_1', type: 'debit', credits: -45, at } });
    const planned = planEvents([{ kind: 'account', seq: '3', old, account: now }]);
    expect(planned.map((p) => p.event.type)).toEqual(['balance.threshold_crossed', 'plan.changed']);
    expect(planned[0]?.event.data).toEqual({ accountId: now.id, thresholdPercent: 20, thresholdCredits: 20, balance: 15, baseline: 100 });
    expect(planned[1]?.event.data).toEqual({ accountId: now.id, from: 'free', to: 'pro' });
  });

  it('turns a parked query into query.parked and the episode’s balance.depleted with the shortfall', () => {
    const planned = planEvents([{ kind: 'txn', seq: '9', txn: txn({}), account: account({ balance: 12, baselineSeq: 7 }) }]);
    expect(planned.map((p) => p.event.type)).toEqual(['query.parked', 'balance.depleted']);
    expect(planned[1]?.event.id).toBe(depletedEventId('acc_AAAAAAAAAAAAAAAA', 7));
    expect(planned[1]?.event.data).toMatchObject({ price: 30, balance: 12, shortfall: 18, queryId: 'q_BBBBBBBBBBBBBBBBBBBB' });
  });

  it('turns a keyed query’s record, written running before its debit and then parked, into the same two events; not its stored answer', () => {
    const running = txn({ status: 'running', resumableUntil: undefined });
    const planned = planEvents([{ kind: 'txn', seq: '9', old: running, txn: txn({}), account: account({ balance: 12, baselineSeq: 7 }) }]);
    expect(planned.map((p) => p.event.type)).toEqual(['query.parked', 'balance.depleted']);
    expect(planEvents([{ kind: 'txn', seq: '10', old: txn({}), txn: txn({ response: { statusCode: 402, headers: {} } }) }])).toEqual([]);
  });

  it('turns a parked query that starts running into query.resumed, once', () => {
    const parked = txn({});
    const running = txn({ status: 'running', updatedAt: '2026-11-30T02:00:00.000Z' });
    const resumed = planEvents([{ kind: 'txn', seq: '10', old: parked, txn: running }]);
    expect(resumed.map((p) => p.event.type)).toEqual(['query.resumed']);
    expect(planEvents([{ kind: 'txn', seq: '11', old: running, txn: txn({ status: 'completed' }) }])).toEqual([]);
  });

  it('plans the same ids and bodies for the same records (a redelivered batch)', () => {
    const sources = [{ kind: 'txn' as const, seq: '9', txn: txn({}), account: account({ balance: 12 }) }];
    expect(planEvents(sources)).toEqual(planEvents(structuredClone(sources)));
  });

  it('builds payloads that match the documented schemas', () => {
    const planned = [
      ...planEvents([{ kind: 'txn', seq: '9', txn: txn({}), account: account({ balance: 12 }) }]),
      ...planEvents([{ kind: 'account', seq: '3', old: account({ balance: 60 }), account: account({ balance: 15, plan: 'pro' }) }]),
    ];
    for (const { event } of planned) expect(() => webhookEventSchema(event.type).parse(event)).not.toThrow();
    expect(Object.keys(eventDataSchemas)).toHaveLength(7);
  });
});

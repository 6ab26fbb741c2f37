import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweep } from '../../functions/metering/sweeper.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer, type Reply } from '../support/http.ts';
import { fullLedger, ledgerProblems, storedAccount } from './support.ts';

/**
 * Generated interleavings of holds, settles, releases, expiry sweeps, top-ups and plain debits,
 * sent in concurrent batches (duplicates included) on a fresh account per run. After each run every
 * hold left open is expired by a sweep from the future; then: available and held never negative, each
 * hold settled or released exactly once, the ledger chains and sums to the available balance, and the
 * money adds up from what the API acknowledged: available = opening + top-ups − debits − what settles charged.
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

type Op =
  | { kind: 'topUp'; credits: number }
  | { kind: 'debit'; credits: number }
  | { kind: 'hold'; credits: number; key: number | null }
  | { kind: 'settle'; pick: number; actual: number }
  | { kind: 'release'; pick: number }
  | { kind: 'sweep'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('topUp' as const), credits: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('debit' as const), credits: fc.integer({ min: 1, max: 15 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('hold' as const),
      credits: fc.integer({ min: 1, max: 25 }),
      key: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), actual: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), pick: fc.nat() }) },
);

interface Run {
  accountId: string;
  apiKey: string;
  holds: { id: string; credits: number; expiresAt: string }[];
  topUps: number;
  debits: number;
  /** What acknowledged settles charged, per hold (a replayed settle repeats the first one's figure). */
  charged: Map<string, number>;
  problems: string[];
  sent: number;
}

async function send(run: Run, op: Op): Promise<void> {
  const n = run.sent++;
  const { apiKey, accountId } = run;
  const pick = <T>(list: T[], i: number) => (list.length === 0 ? undefined : list[i % list.length]);
  let reply: Reply;
  switch (op.kind) {
    case 'topUp':
      reply = await call(app.url, 'POST', `/v1/accounts/${accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: op.credits }, idempotencyKey: `t${n}` });
      if (reply.status === 201) run.topUps += op.credits;
      break;
    case 'debit':
      reply = await call(app.url, 'POST', `/v1/accounts/${accountId}/debits`, {
        token: ADMIN_KEY,
        body: { credits: op.credits, operation: 'ingest' },
        idempotencyKey: `d${n}`,
      });
      if (reply.status === 201) run.debits += op.credits;
      break;
    case 'hold': {
      reply = await call(app.url, 'POST', '/v1/holds', {
        token: apiKey,
        body: { operation: 'export', credits: op.credits },
        idempotencyKey: op.key === null ? undefined : `h${op.key}-${op.credits}`,
      });
      if (reply.status === 201 && !run.holds.some((hold) => hold.id === reply.body.id))
        run.holds.push({ id: reply.body.id, credits: op.credits, expiresAt: reply.body.expiresAt });
      break;
    }
    case 'settle': {
      const hold = pick(run.holds, op.pick);
      if (!hold) return;
      reply = await call(app.url, 'POST', `/v1/holds/${hold.id}/settle`, { token: apiKey, body: { credits: op.actual } });
      if (reply.status === 200) {
        const charged = reply.body.charged as number;
        if (charged !== Math.min(op.actual, hold.credits) && reply.headers.get('idempotent-replayed') !== 'true')
          run.problems.push(`settle of ${hold.id} (${hold.credits} held) for ${op.actual} charged ${charged}`);
        const before = run.charged.get(hold.id);
        if (before !== undefined && before !== charged) run.problems.push(`hold ${hold.id} answered two different settlements: ${before} and ${charged}`);
        run.charged.set(hold.id, charged);
      }
      break;
    }
    case 'release': {
      const hold = pick(run.holds, op.pick);
      if (!hold) return;
      reply = await call(app.url, 'POST', `/v1/holds/${hold.id}/release`, { token: apiKey });
      break;
    }
    case 'sweep': {
      const hold = pick(run.holds, op.pick);
      if (!hold) return;
      // A sweep that sees this hold as expired, racing whatever else the batch does to it.
      await sweep({ now: () => new Date(Date.parse(hold.expiresAt) + 1) });
      return;
    }
  }
  if (reply.status >= 500) run.problems.push(`${op.kind} answered ${reply.status}: ${reply.text}`);
}

async function runScenario(opening: number, batches: Op[][]): Promise<void> {
  const customer = await newCustomer(app.url, opening);
  const run: Run = { ...customer, holds: [], topUps: opening, debits: 0, charged: new Map(), problems: [], sent: 0 };
  for (const batch of batches) {
    await Promise.all(batch.map((op) => send(run, op)));
    const account = await storedAccount(app, run.accountId);
    const held = ((await call(app.url, 'GET', '/v1/balance', { token: run.apiKey })).body.held as number) ?? -1;
    if (account.balance < 0 || held < 0) run.problems.push(`after a batch: available ${account.balance}, held ${held}`);
  }
  // Every hold still open is expired now.
  const last = run.holds.map((hold) => Date.parse(hold.expiresAt)).reduce((a, b) => Math.max(a, b), 0);
  await sweep({ now: () => new Date(last + 1) });

  const balance = (await call(app.url, 'GET', '/v1/balance', { token: run.apiKey })).body;
  if (balance.held !== 0) run.problems.push(`${balance.held} credits still held after every hold expired`);
  const charged = [...run.charged.values()].reduce((sum, credits) => sum + credits, 0);
  const expected = run.topUps - run.debits - charged;
  if (balance.available !== expected)
    run.problems.push(`available ${balance.available}, but top-ups ${run.topUps} − debits ${run.debits} − settled ${charged} = ${expected}`);
  for (const hold of run.holds) {
    const view = (await call(app.url, 'GET', `/v1/holds/${hold.id}`, { token: run.apiKey })).body;
    if (view.status === 'held') run.problems.push(`hold ${hold.id} still held`);
    if (view.status === 'settled' && view.charged !== run.charged.get(hold.id))
      run.problems.push(`hold ${hold.id} settled for ${view.charged}, but its settles were answered ${run.charged.get(hold.id)}`);
    if (view.status === 'released' && run.charged.has(hold.id)) run.problems.push(`hold ${hold.id} was answered as settled but ended released`);
  }
  const entries = await fullLedger(app, run.accountId);
  run.problems.push(...ledgerProblems(entries, await storedAccount(app, run.accountId)));
  for (const hold of run.holds) {
    const closings = entries.filter((entry) => entry.id === `${hold.id}.settle` || entry.id === `${hold.id}.release`);
    if (closings.length !== 1) run.problems.push(`hold ${hold.id} was closed ${closings.length} times in the ledger`);
  }
  expect(run.problems, JSON.stringify(batches)).toEqual([]);
}

describe('holds under generated interleavings', () => {
  it('never negative, each hold closed exactly once, the ledger and the money add up', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), runScenario),
      { numRuns: 12, endOnFailure: true },
    );
  });
});

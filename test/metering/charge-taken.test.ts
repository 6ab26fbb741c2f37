import { describe, expect, it } from 'vitest';
import {
  appliedBeforeRecord,
  CHANGE_AT_SKEW_MS,
  ledgerReaches,
  PROJECTION_SKEW_MS,
  takenFromAccount,
  walkLedger,
} from '../../functions/metering/charge-taken.ts';

const txn = { id: 'q_abandoned', createdAt: '2026-11-30T12:00:00.000Z' };
const change = (id: string, credits: number, at: string) => ({ id, type: credits < 0 ? ('debit' as const) : ('refund' as const), credits, at });
const earlierThanRecord = (ms: number) => new Date(Date.parse(txn.createdAt) - ms).toISOString();

describe('takenFromAccount: what the account item alone tells about an abandoned keyed charge', () => {
  it('taken: the charge’s debit is the account’s latest change', () => {
    expect(takenFromAccount(txn, { lastChange: change(txn.id, -10, txn.createdAt) })).toBe('taken');
  });

  it('not taken: the account never changed, or its latest change is older than any the debit could follow', () => {
    expect(takenFromAccount(txn, undefined)).toBe('not-taken');
    expect(takenFromAccount(txn, { lastChange: undefined })).toBe('not-taken');
    expect(takenFromAccount(txn, { lastChange: change('top_1', 50, earlierThanRecord(CHANGE_AT_SKEW_MS + 1)) })).toBe('not-taken');
  });

  it('undecided (the ledger must tell): a later change of another txn, or the charge’s own refund', () => {
    expect(takenFromAccount(txn, { lastChange: change('q_other', -1, earlierThanRecord(CHANGE_AT_SKEW_MS - 1)) })).toBeUndefined();
    expect(takenFromAccount(txn, { lastChange: change(`${txn.id}.refund`, 10, txn.createdAt) })).toBeUndefined();
  });
});

describe('walkLedger: what the account’s ledger, newest first, tells', () => {
  const old = earlierThanRecord(CHANGE_AT_SKEW_MS + 1);
  const entry = (id: string, credits: number, seq: number, at = txn.createdAt) => ({ ...change(id, credits, at), seq, balanceAfter: 0 });
  const caughtUp = () => true;
  async function* newestFirst(entries: ReturnType<typeof entry>[]) {
    yield* entries;
  }

  it('taken when an entry is the charge’s debit, whatever came after it', async () => {
    expect(await walkLedger(txn, newestFirst([entry('q_other', -1, 9), entry(`${txn.id}.refund`, 10, 8), entry(txn.id, -10, 7)]), caughtUp)).toBe('taken');
  });

  it('not taken when the walk reaches an entry older than any the debit could be, or the first change, without it', async () => {
    expect(await walkLedger(txn, newestFirst([entry('q_other', -1, 9), entry(txn.id, 10, 8), entry('t_1', 50, 7, old)]), caughtUp)).toBe('not-taken');
    expect(await walkLedger(txn, newestFirst([entry('q_other', -1, 2), entry('t_1', 50, 1)]), caughtUp)).toBe('not-taken');
  });

  it('unknown while the newest entry has not caught up, or the ledger is empty', async () => {
    expect(await walkLedger(txn, newestFirst([entry(txn.id, -10, 9)]), () => false)).toBe('unknown');
    expect(await walkLedger(txn, newestFirst([]), caughtUp)).toBe('unknown');
  });

  it('unknown when a gap could hide the debit: between entries, just above the oldest one read, or below the last', async () => {
    expect(await walkLedger(txn, newestFirst([entry('q_other', -1, 9), entry('q_more', -1, 7)]), caughtUp)).toBe('unknown');
    expect(await walkLedger(txn, newestFirst([entry('q_other', -1, 3), entry('t_1', 50, 1, old)]), caughtUp)).toBe('unknown');
    expect(await walkLedger(txn, newestFirst([entry('q_other', -1, 3)]), caughtUp)).toBe('unknown');
  });
});

describe('walkLedger on entries that say when they were projected', () => {
  const projected = (id: string, credits: number, seq: number, projectedAt: string, at = earlierThanRecord(60_000)) => ({
    ...change(id, credits, at),
    seq,
    balanceAfter: 0,
    projectedAt,
  });
  const afterRecord = new Date(Date.parse(txn.createdAt) + 2_000).toISOString();
  /** Yields `entries`, counting what the walk pulled; a pull past them fails the walk, as reading too far would. */
  function counted(entries: ReturnType<typeof projected>[]) {
    const pulled = { count: 0 };
    async function* newestFirst() {
      for (const entry of entries) {
        pulled.count++;
        yield entry;
      }
      throw new Error('the walk read past the entries it needed');
    }
    return { pulled, newestFirst: newestFirst() };
  }

  it('stops at the first entry projected before the record, though its change is stamped within the 15 minutes before it', async () => {
    const { pulled, newestFirst } = counted([
      projected('q_other', -1, 9, afterRecord),
      projected('t_1', 50, 8, earlierThanRecord(PROJECTION_SKEW_MS + 1)),
      projected('q_older', -1, 7, earlierThanRecord(90_000)),
    ]);
    expect(await walkLedger(txn, newestFirst, () => true)).toBe('not-taken');
    expect(pulled.count).toBe(2);
  });

  it('reads on past an entry projected within the clock skew of the record: it may have applied after', async () => {
    const { newestFirst } = counted([
      projected('q_other', -1, 9, afterRecord),
      projected('t_1', 50, 8, earlierThanRecord(PROJECTION_SKEW_MS - 1)),
      projected(txn.id, -10, 7, earlierThanRecord(PROJECTION_SKEW_MS - 1)),
    ]);
    expect(await walkLedger(txn, newestFirst, () => true)).toBe('taken');
  });

  it('an entry without `projectedAt` (written by an earlier version) stops the walk by its change time only', () => {
    expect(appliedBeforeRecord({ at: earlierThanRecord(60_000) }, txn)).toBe(false);
    expect(appliedBeforeRecord({ at: earlierThanRecord(CHANGE_AT_SKEW_MS + 1) }, txn)).toBe(true);
    expect(appliedBeforeRecord({ at: txn.createdAt, projectedAt: earlierThanRecord(PROJECTION_SKEW_MS + 1) }, txn)).toBe(true);
  });
});

describe('ledgerReaches: when the ledger can answer at all', () => {
  const timeoutMs = () => 30_000;
  const entryAt = (seq: number, at: string) => ({ ...change('q_other', -1, at), seq, balanceAfter: 0 });
  const laterBy = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

  it('reaches when its newest entry is the account’s latest change, or a change stamped after the last debit could be sent', () => {
    const claimedAt = '2026-11-30T12:05:00.000Z';
    const record = { createdAt: txn.createdAt, updatedAt: claimedAt };
    expect(ledgerReaches(record, { seq: 9 }, entryAt(9, txn.createdAt), timeoutMs())).toBe(true);
    expect(ledgerReaches(record, { seq: 12 }, entryAt(9, laterBy(claimedAt, timeoutMs() + 1)), timeoutMs())).toBe(true);
    // Stamped after the first attempt's horizon but before the retry that claimed it could have debited: not yet.
    expect(ledgerReaches(record, { seq: 12 }, entryAt(9, laterBy(txn.createdAt, timeoutMs() + 1)), timeoutMs())).toBe(false);
    expect(ledgerReaches(record, { seq: 12 }, undefined, timeoutMs())).toBe(false);
  });
});

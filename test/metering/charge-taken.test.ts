import { describe, expect, it } from 'vitest';
import { CHANGE_AT_SKEW_MS, takenFromAccount, takenFromLedger } from '../../functions/metering/charge-taken.ts';

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

describe('takenFromLedger', () => {
  const entry = (id: string, credits: number, seq: number) => ({ ...change(id, credits, txn.createdAt), seq, balanceAfter: 0 });

  it('taken when an entry since the record is the charge’s debit, whatever came after it', () => {
    expect(takenFromLedger(txn, [entry('q_other', -1, 9), entry(`${txn.id}.refund`, 10, 8), entry(txn.id, -10, 7)])).toBe('taken');
  });

  it('not taken when no entry is its debit (a credit with its id is not one)', () => {
    expect(takenFromLedger(txn, [entry('q_other', -1, 9), entry(txn.id, 10, 8)])).toBe('not-taken');
    expect(takenFromLedger(txn, [])).toBe('not-taken');
  });
});

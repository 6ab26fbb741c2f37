import { describe, expect, it } from 'vitest';
import { ledgerEntryFor } from '../../functions/metering/ledger-projection.ts';

const change = { id: 'q_1', type: 'debit' as const, credits: -10, operation: 'report', queryId: 'q_1', at: '2026-11-25T10:00:00.000Z' };

describe('ledgerEntryFor', () => {
  it('turns a balance change into the entry with its sequence and the balance after it', () => {
    expect(ledgerEntryFor({ seq: 4, balance: 50 }, { seq: 5, balance: 40, lastChange: change })).toEqual({ ...change, seq: 5, balanceAfter: 40 });
  });

  it('ignores changes that did not move the balance (a new key, a rename)', () => {
    expect(ledgerEntryFor({ seq: 5, balance: 40, lastChange: change }, { seq: 5, balance: 40, lastChange: change, name: 'New' })).toBeUndefined();
  });

  it('ignores a new account with no balance change yet', () => {
    expect(ledgerEntryFor(undefined, { seq: 0, balance: 0 })).toBeUndefined();
  });
});

import type { BalanceChange } from '../accounts/model.ts';
import type { LedgerEntry as LedgerEntryView } from './openapi.ts';

/** One line of the ledger: a balance change and the balance right after it. */
export interface LedgerEntry extends BalanceChange {
  seq: number;
  balanceAfter: number;
  /**
   * When the stream consumer wrote the entry, which is after its change applied. Every entry of an account item's
   * ledger has it (entries written by earlier versions only on a key-less charge), a sub-balance's only a key-less charge's.
   */
  projectedAt?: string;
}

/** The public representation of a ledger entry. */
export function ledgerEntryView(entry: LedgerEntry): LedgerEntryView {
  return {
    id: entry.id,
    type: entry.type,
    credits: entry.credits,
    balanceAfter: entry.balanceAfter,
    operation: entry.operation,
    queryId: entry.queryId,
    reference: entry.reference,
    at: entry.at,
  };
}

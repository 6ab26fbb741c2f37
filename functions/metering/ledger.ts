import type { BalanceChange } from '../accounts/model.ts';
import type { LedgerEntry as LedgerEntryView } from './openapi.ts';

/** One line of the ledger: a balance change and the balance right after it. */
export interface LedgerEntry extends BalanceChange {
  seq: number;
  balanceAfter: number;
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

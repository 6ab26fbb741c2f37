import type { AccountItem } from '../accounts/model.ts';
import type { LedgerEntry } from './ledger.ts';

/**
 * The ledger entry for one change of an account item, or none when the change did not move
 * the balance (a new key, a renamed account). Pure: the stream handler feeds it old and new
 * images. Each balance change bumps `seq` by one, so entry n is exactly the n-th change and
 * `balanceAfter` is the balance that change produced.
 */
export function ledgerEntryFor(oldImage: Partial<AccountItem> | undefined, newImage: Partial<AccountItem> | undefined): LedgerEntry | undefined {
  const seq = newImage?.seq ?? 0;
  if (!newImage?.lastChange || seq <= (oldImage?.seq ?? 0) || newImage.balance === undefined) return undefined;
  return { ...newImage.lastChange, seq, balanceAfter: newImage.balance };
}

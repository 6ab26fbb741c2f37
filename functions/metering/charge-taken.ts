import type { AccountItem } from '../accounts/model.ts';
import { findAccountItem } from '../accounts/store.ts';
import { config } from '../shared/config.ts';
import { keys } from '../table/keys.ts';
import type { LedgerEntry } from './ledger.ts';
import { ledgerNewestFirst } from './ledger-store.ts';
import type { TxnItem } from './txn.ts';

/** Whether an abandoned keyed charge was debited: `unknown` while the ledger has not caught up with the account yet. */
export type ChargeTaken = 'taken' | 'not-taken' | 'unknown';

/**
 * How far before a record's `createdAt` a later balance change's `at` can be: a request's `at` is taken when it starts,
 * a job's when its run starts (the plan renewal stamps a whole run with one time), and no Lambda runs longer than 15
 * minutes. Clocks of different containers differ by milliseconds.
 */
export const CHANGE_AT_SKEW_MS = 15 * 60_000;

/**
 * Was the keyed charge `txn` debited? Its record is written before its debit (docs/design/debit-protocol.md), so a
 * `running` record whose invocation died may or may not have one. The debit, if any, is a balance change with the
 * txn's id, made after the record: the account's latest change when nothing changed the balance since, else an entry
 * of the ledger since the record was written, once the ledger has caught up with the account. Called only for
 * abandoned charges (a takeover, the sweeper), never on the request path.
 */
export async function chargeTaken(txn: TxnItem): Promise<ChargeTaken> {
  if (txn.debited) return 'taken';
  // A keyed charge is debited on the account item itself (a sharded account's, in one transaction with its record,
  // which then says `debited`), so the item's own ledger is the one to read.
  const account = await findAccountItem(txn.accountId);
  const quick = takenFromAccount(txn, account);
  if (quick) return quick;
  const workTimeoutMs = config().METERED_WORK_TIMEOUT_SECONDS * 1000;
  return walkLedger(txn, ledgerNewestFirst(keys.account(txn.accountId).pk), (newest) => ledgerReaches(txn, account, newest, workTimeoutMs));
}

/**
 * The ledger holds the debit if there was one: it has every change of the account, or a change that applied after any
 * debit this charge could have made. The attempt that last wrote the record (its first, or the retry that claimed it,
 * `updatedAt`) sends its debit no later than half the work timeout after its request began (`debitDeadline` in
 * charges.ts), and a change's `at` is never later than when it applied. The stream writes each account's entries in
 * order, and the walk checks there is no gap.
 */
export function ledgerReaches(
  txn: Pick<TxnItem, 'updatedAt'>,
  account: Pick<AccountItem, 'seq'> | undefined,
  newest: LedgerEntry | undefined,
  workTimeoutMs: number,
): boolean {
  if (!newest) return false;
  const horizon = new Date(Date.parse(txn.updatedAt) + workTimeoutMs).toISOString();
  return newest.seq === account?.seq || newest.at > horizon;
}

/** The answer the account item alone gives: its latest change is this debit, or nothing changed it since the record. */
export function takenFromAccount(txn: Pick<TxnItem, 'id' | 'createdAt'>, account: Pick<AccountItem, 'lastChange'> | undefined): ChargeTaken | undefined {
  const last = account?.lastChange;
  if (!last) return 'not-taken';
  if (last.id === txn.id && last.credits < 0) return 'taken';
  if (last.at < since(txn).toISOString()) return 'not-taken';
  return undefined;
}

/**
 * How far the clock that stamped a record's `createdAt` may run ahead of the stream consumer's, which stamps a ledger
 * entry's `projectedAt`. Lambda containers' clocks differ by milliseconds; a minute also covers a `meter()` whose
 * `clock` option is not quite the real time, and costs a takeover only that minute's entries.
 */
export const PROJECTION_SKEW_MS = 60_000;

/**
 * Whether an entry's change applied before the charge's record was written, so that neither it nor any entry below it
 * (applied earlier still) can be the charge's debit, which follows the record: it was projected before the record
 * (the walk then reads only the seconds around the debit), or, for an entry without `projectedAt`, stamped earlier
 * than any change after the record can be.
 */
export function appliedBeforeRecord(entry: Pick<LedgerEntry, 'at' | 'projectedAt'>, txn: Pick<TxnItem, 'createdAt'>): boolean {
  if (entry.projectedAt !== undefined) return Date.parse(entry.projectedAt) + PROJECTION_SKEW_MS < Date.parse(txn.createdAt);
  return entry.at < since(txn).toISOString();
}

/**
 * The answer of the account's ledger, read newest first down to the first entry whose change applied before the
 * record (`appliedBeforeRecord`, that one included): taken when an entry is the debit, not taken when none is. A
 * ledger whose newest entry has not caught up (`reaches`), a gap, or a ledger that ends above its first change could
 * hide the debit (an entry the stream has not written, or gave up on): unknown.
 */
export async function walkLedger(
  txn: Pick<TxnItem, 'id' | 'createdAt'>,
  newestFirst: AsyncIterable<LedgerEntry>,
  reaches: (newest: LedgerEntry) => boolean,
): Promise<ChargeTaken> {
  let below: number | undefined;
  for await (const entry of newestFirst) {
    if (below === undefined && !reaches(entry)) return 'unknown';
    if (below !== undefined && entry.seq !== below) return 'unknown';
    if (entry.id === txn.id && entry.credits < 0) return 'taken';
    if (appliedBeforeRecord(entry, txn)) return 'not-taken';
    below = entry.seq - 1;
  }
  // An empty ledger has not caught up (the account has changed since the record); one ending above entry 1 has a gap.
  return below === 0 ? 'not-taken' : 'unknown';
}

/** The oldest `at` the charge's debit, or any change after it, can carry. */
const since = (txn: Pick<TxnItem, 'createdAt'>) => new Date(Date.parse(txn.createdAt) - CHANGE_AT_SKEW_MS);

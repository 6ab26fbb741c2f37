import type { AccountItem } from '../accounts/model.ts';
import { crossedThreshold, thresholdLevel } from '../alerts/crossings.ts';
import type { LedgerEntry } from '../metering/ledger.ts';
import { ledgerEntryFor } from '../metering/ledger-projection.ts';
import type { TxnItem } from '../metering/txn.ts';

/** One stream record, decoded: what it means for the consumer. */
export type StreamChange<R> =
  | { kind: 'account'; record: R; old?: AccountItem; account: AccountItem }
  | { kind: 'refusal'; record: R; txn: TxnItem }
  | { kind: 'nothing'; record: R };

/**
 * A stretch of one episode (between two top-ups or grants) inside a run of account changes:
 * the threshold decision is made once for it, from the balance before its first change and
 * the lowest balance any of its changes reached.
 */
export interface EpisodeSegment<R> {
  /** The change that opened a new episode (a top-up or plan grant), when the segment starts with one. */
  opened?: { record: R; old?: AccountItem; account: AccountItem };
  /** The account as it was before the segment's first change. */
  before?: AccountItem;
  /** The account after the segment's last change. */
  after: AccountItem;
  /** The balance each change of the segment left, in order. */
  balances: number[];
}

/** Consecutive changes of one account's item: their ledger entries are written together. */
export interface AccountRun<R> {
  kind: 'run';
  /** The run's first record: where a retry must start if any of its steps fails. */
  first: R;
  entries: LedgerEntry[];
  segments: EpisodeSegment<R>[];
}

export type AccountStep<R> = AccountRun<R> | { kind: 'refusal'; record: R; txn: TxnItem };

/** Everything one account's records in a batch ask for, in the order the records came. */
export interface AccountWork<R> {
  accountId: string;
  steps: AccountStep<R>[];
}

/**
 * Groups a batch by account, keeping each account's order, and turns each run of consecutive
 * account changes into one ledger write and one threshold decision per episode. Records that
 * change nothing for the consumer (key changes, renames) add no step. Pure.
 */
export function planBatch<R>(changes: readonly StreamChange<R>[]): AccountWork<R>[] {
  const byAccount = new Map<string, AccountStep<R>[]>();
  for (const change of changes) {
    if (change.kind === 'nothing') continue;
    const accountId = change.kind === 'account' ? change.account.id : change.txn.accountId;
    const steps = byAccount.get(accountId) ?? [];
    byAccount.set(accountId, steps);
    if (change.kind === 'refusal') steps.push({ kind: 'refusal', record: change.record, txn: change.txn });
    else addAccountChange(steps, change);
  }
  return [...byAccount]
    .map(([accountId, steps]) => ({ accountId, steps: steps.filter((step) => step.kind === 'refusal' || isUseful(step)) }))
    .filter((work) => work.steps.length > 0);
}

function addAccountChange<R>(steps: AccountStep<R>[], change: Extract<StreamChange<R>, { kind: 'account' }>): void {
  const last = steps.at(-1);
  const run: AccountRun<R> = last?.kind === 'run' ? last : { kind: 'run', first: change.record, entries: [], segments: [] };
  if (run !== last) steps.push(run);
  const entry = ledgerEntryFor(change.old, change.account);
  if (entry) run.entries.push(entry);
  const segment = run.segments.at(-1);
  const opens = opensEpisode(change.old, change.account);
  if (!segment || opens) {
    run.segments.push({
      opened: opens ? { record: change.record, old: change.old, account: change.account } : undefined,
      // Thresholds of a new episode are measured from the balance the top-up or grant left.
      before: opens ? change.account : change.old,
      after: change.account,
      balances: [change.account.balance],
    });
    return;
  }
  segment.after = change.account;
  segment.balances.push(change.account.balance);
}

/** A top-up or plan grant moves the baseline: a new episode starts and every threshold is re-armed. */
export function opensEpisode(old: AccountItem | undefined, account: AccountItem): boolean {
  return old !== undefined && (account.baselineSeq ?? 0) > (old.baselineSeq ?? 0);
}

/** A run that writes no entry, opens no episode and lowers no balance needs no call at all. */
function isUseful<R>(run: AccountRun<R>): boolean {
  return run.entries.length > 0 || run.segments.some((segment) => segment.opened || (segment.before && lowestBalance(segment) < segment.before.balance));
}

/**
 * The balance of the first change that reached the lowest threshold the segment crossed (from the
 * balance before it to the lowest it reached), or the lowest balance when it crossed none. Pure.
 */
export function balanceAtCrossing<R>(segment: EpisodeSegment<R>): number {
  const lowest = lowestBalance(segment);
  const percent = crossedThreshold(segment.before, { ...segment.after, balance: lowest });
  if (percent === undefined) return lowest;
  const level = thresholdLevel(segment.after.baseline ?? 0, percent);
  return segment.balances.find((balance) => balance <= level) ?? lowest;
}

/** The lowest balance any change in the segment left. */
export const lowestBalance = <R>(segment: EpisodeSegment<R>): number => Math.min(...segment.balances);

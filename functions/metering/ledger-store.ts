import { BatchWriteCommand, type BatchWriteCommandOutput, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, queryItems, tableName } from '../shared/dynamodb.ts';
import { keys, LEDGER_PREFIX, ledgerSortKey } from '../table/keys.ts';
import type { LedgerEntry } from './ledger.ts';

/** BatchWriteItem takes at most 25 puts. */
const BATCH_LIMIT = 25;
/** Rounds of retrying what DynamoDB left unprocessed (throttling) before the record is failed and redelivered. */
const UNPROCESSED_ROUNDS = 8;

export type PutRequest = { PutRequest: { Item: Record<string, unknown> } };

/** Puts items durably; resolves once every one of them is written. */
export type BatchPut = (requests: readonly PutRequest[]) => Promise<void>;

/**
 * Writes many entries of one account in `BatchWriteItem` calls, retrying what DynamoDB leaves
 * unprocessed with backoff; the newest entry goes last, once every older one is written. So a
 * reader that sees the newest entry sees the whole ledger below it (the crash test and the bench
 * wait for exactly that); while a batch is being written, older entries may appear in any order
 * for the milliseconds it takes. Each entry is keyed by its sequence number, so a redelivered
 * batch rewrites identical items. `put` may share its calls with other accounts' writes
 * (`sharedBatchPut`).
 */
export async function putLedgerEntries(accountId: string, entries: readonly LedgerEntry[], put: BatchPut = sharedBatchPut(), now = new Date()): Promise<void> {
  // One entry per sequence number, in order: a batch never holds two puts of the same key.
  const unique = [...new Map(entries.map((entry) => [entry.seq, entry])).values()].sort((a, b) => a.seq - b.seq);
  // Each entry says when it was projected, after its change applied: the sweeper checks each key-less charge's entry
  // once, in that order, and the walk for an abandoned keyed charge stops at the first entry projected before the
  // charge's record was written (charge-taken.ts).
  const projectedAt = now.toISOString();
  const items = unique.map((entry) => ({
    PutRequest: { Item: { ...keys.ledgerEntry(accountId, entry.seq), entity: 'ledger', accountId, ...entry, projectedAt } },
  }));
  const newest = items.pop();
  await put(items);
  if (newest) await put([newest]);
}

/**
 * A `BatchPut` that pools the puts of every caller in the same turn of the event loop into shared
 * `BatchWriteItem` calls of 25, sent together: a stream batch touching 64 accounts with a few
 * entries each costs a few calls, not two per account. Each caller learns only about its own
 * items: a call that fails rejects the callers with an item in it, and no one else.
 */
export function sharedBatchPut(write: (requests: readonly PutRequest[]) => Promise<void> = writeChunk): BatchPut {
  let pending: { requests: readonly PutRequest[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  const flush = async () => {
    const callers = pending;
    pending = [];
    // Callers write distinct keys (an account's writes are sequential); chunking keeps each call under the limit.
    const owned = callers.flatMap((caller, owner) => caller.requests.map((request) => ({ request, owner })));
    const failures = new Map<number, unknown>();
    const chunks: (typeof owned)[] = [];
    for (let i = 0; i < owned.length; i += BATCH_LIMIT) chunks.push(owned.slice(i, i + BATCH_LIMIT));
    await Promise.all(
      chunks.map((chunk) =>
        write(chunk.map(({ request }) => request)).catch((error: unknown) => {
          for (const { owner } of chunk) failures.set(owner, error);
        }),
      ),
    );
    for (const [owner, caller] of callers.entries()) {
      if (failures.has(owner)) caller.reject(failures.get(owner));
      else caller.resolve();
    }
  };
  return (requests) =>
    requests.length === 0
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          if (pending.length === 0) setImmediate(() => void flush());
          pending.push({ requests, resolve, reject });
        });
}

async function writeChunk(requests: readonly PutRequest[]): Promise<void> {
  let pending = requests as NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string];
  for (let round = 0; pending.length > 0; round++) {
    if (round === UNPROCESSED_ROUNDS) throw new Error(`DynamoDB left ${pending.length} ledger entries unprocessed after ${round} rounds`);
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
    const { UnprocessedItems } = await documentClient().send(new BatchWriteCommand({ RequestItems: { [tableName()]: pending } }));
    pending = UnprocessedItems?.[tableName()] ?? [];
  }
}

export interface LedgerPage {
  entries: LedgerEntry[];
  /** Sequence number to continue below, when there is more. */
  nextBefore?: number;
}

/** Newest first, starting below `before` when given. */
export async function ledgerPage(accountId: string, limit: number, before?: number): Promise<LedgerPage> {
  const entries = await ledgerBelow(keys.account(accountId).pk, limit + 1, before);
  const page = entries.slice(0, limit);
  const last = page.at(-1);
  return { entries: page, nextBefore: entries.length > limit && last ? last.seq : undefined };
}

/** Up to `count` entries of the ledger on partition `pk` (an account item's or a sub-balance's), newest first, below `before` when given. */
async function ledgerBelow(pk: string, count: number, before?: number): Promise<LedgerEntry[]> {
  const upper = before === undefined ? `${LEDGER_PREFIX}~` : ledgerSortKey(before - 1);
  const { Items = [] } = await documentClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': LEDGER_PREFIX, ':to': upper },
      ScanIndexForward: false,
      Limit: count,
      ConsistentRead: true,
    }),
  );
  return Items as LedgerEntry[];
}

/** The ledger on partition `pk` (an account item's or a sub-balance's), newest first, read a page (up to 1 MB) at a time as the caller goes on. */
export function ledgerNewestFirst(pk: string): AsyncGenerator<LedgerEntry> {
  return queryItems<LedgerEntry>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ledger)',
    ExpressionAttributeValues: { ':pk': pk, ':ledger': LEDGER_PREFIX },
    ScanIndexForward: false,
    ConsistentRead: true,
  });
}

/**
 * Every entry at or after `from`, newest first (walks back until older entries appear). A sharded
 * account (`shardSlots` > 0) has a ledger per sub-balance besides its own: they are merged into
 * one order, by time, then the account item's before the sub-balances', then sequence; their
 * credits sum to the total's change (transfers between them sum to zero).
 */
export async function ledgerSince(accountId: string, from: Date, shardSlots = 0): Promise<LedgerEntry[]> {
  const own = await itemLedgerSince(accountId, from);
  if (shardSlots === 0) return own;
  const shards = await Promise.all(Array.from({ length: shardSlots }, (_, shard) => shardLedgerSince(accountId, shard, from)));
  return [...own.map((entry) => ({ ...entry, shard: -1 })), ...shards.flat()]
    .sort((a, b) => (a.at === b.at ? (a.shard === b.shard ? b.seq - a.seq : b.shard - a.shard) : a.at < b.at ? 1 : -1))
    .map(({ shard: _shard, ...entry }) => entry);
}

/** One sub-balance's entries at or after `from`. */
async function shardLedgerSince(accountId: string, shard: number, from: Date): Promise<(LedgerEntry & { shard: number })[]> {
  const fromIso = from.toISOString();
  const collected: (LedgerEntry & { shard: number })[] = [];
  for await (const entry of ledgerNewestFirst(keys.balanceShard(accountId, shard).pk)) {
    if (entry.at < fromIso) break;
    collected.push({ ...entry, shard });
  }
  return collected;
}

async function itemLedgerSince(accountId: string, from: Date): Promise<LedgerEntry[]> {
  const fromIso = from.toISOString();
  const collected: LedgerEntry[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await ledgerPage(accountId, 500, before);
    for (const entry of page.entries) {
      if (entry.at < fromIso) return collected;
      collected.push(entry);
    }
    if (page.nextBefore === undefined) return collected;
    before = page.nextBefore;
  }
}

/** Where a merged page stopped in each item's ledger: the sequence to continue below, or undefined for its newest end. */
export type MergedCursor = (number | undefined)[];

/** `m.<account item>.<sub-balance 0>…`, each a sequence or `t` (its newest end): opaque to clients. */
export const MERGED_CURSOR = /^m(\.([1-9][0-9]{0,11}|t)){1,65}$/;

export const encodeMergedCursor = (cursor: MergedCursor): string => `m.${cursor.map((before) => before ?? 't').join('.')}`;

export const decodeMergedCursor = (text: string): MergedCursor =>
  text
    .split('.')
    .slice(1)
    .map((part) => (part === 't' ? undefined : Number(part)));

export interface MergedLedgerPage {
  entries: LedgerEntry[];
  /** Where to continue, when any item's ledger has more. */
  next?: MergedCursor;
}

/** One item's ledger (the account item's, or a sub-balance's), read newest first a page at a time. */
interface ItemLedger {
  pk: string;
  /** Read but not yet merged, newest first. */
  buffered: LedgerEntry[];
  /** The sequence the next read continues below; undefined: from the newest. */
  before?: number;
  done: boolean;
}

/**
 * A page of a sharded account's ledger (`slots` sub-balances besides the account item): every
 * item's ledger merged newest first by time (the account item's first within one instant, as its
 * changes come before what they spread), each item's own order kept. Transfers between the items
 * are not listed: they do not change the total. Each entry's `balanceAfter` is the account's
 * total right after it: its own item's balance then, plus every other item's balance as of its
 * next older entry (0 before its first), so the column reads as one ledger that sums to the total.
 */
export async function mergedLedgerPage(accountId: string, slots: number, limit: number, cursor: MergedCursor = []): Promise<MergedLedgerPage> {
  const pks = [keys.account(accountId).pk, ...Array.from({ length: slots }, (_, shard) => keys.balanceShard(accountId, shard).pk)];
  const ledgers: ItemLedger[] = pks.map((pk, index) => ({ pk, buffered: [], before: cursor[index], done: false }));
  await Promise.all(ledgers.map((ledger) => refill(ledger, limit)));
  const entries: LedgerEntry[] = [];
  while (entries.length < limit) {
    const next = newestHead(ledgers);
    if (next === undefined) break;
    const head = ledgers[next]!.buffered[0]!;
    // A transfer is taken whole, all its entries at once, so the total never shows half of one.
    const taken = head.type === 'transfer' ? ledgers.flatMap((ledger, index) => (ledger.buffered[0]?.id === head.id ? [index] : [])) : [next];
    for (const index of taken) ledgers[index]!.before = ledgers[index]!.buffered.shift()!.seq;
    // Every other ledger's head must be known to sum the total: one that ran out of read entries reads more first.
    await Promise.all(ledgers.map((ledger) => (ledger.buffered.length === 0 ? refill(ledger, limit) : undefined)));
    if (head.type === 'transfer') continue;
    const others = ledgers.reduce((sum, ledger, index) => sum + (index === next ? 0 : (ledger.buffered[0]?.balanceAfter ?? 0)), 0);
    entries.push({ ...head, balanceAfter: head.balanceAfter + others });
  }
  const more = ledgers.some((ledger) => ledger.buffered.length > 0);
  return { entries, next: more ? ledgers.map((ledger) => ledger.before) : undefined };
}

/** Reads the next entries of one item's ledger below where it stopped; marks it done at its oldest. */
async function refill(ledger: ItemLedger, limit: number): Promise<void> {
  if (ledger.done) return;
  const entries = await ledgerBelow(ledger.pk, limit + 1, ledger.before);
  ledger.buffered.push(...entries);
  if (entries.length < limit + 1) ledger.done = true;
}

/**
 * The ledger whose next entry is the newest (the account item's, index 0, last within one
 * instant); undefined when all are read. A transfer's entry counts only once every one of its
 * entries is next in its ledger (they sum to zero then): until then, a ledger that holds one of
 * them further down still has newer changes of its own to list first. Transactions are
 * serializable, so some ledger always has a head that can go (were an entry not yet written by the
 * stream to hold one back, the newest head goes, so paging never stalls).
 */
function newestHead(ledgers: ItemLedger[], wholeTransfersOnly = true): number | undefined {
  const heads = ledgers.map((ledger) => ledger.buffered[0]);
  const whole = (transfer: LedgerEntry) => heads.reduce((sum, head) => sum + (head?.id === transfer.id ? head.credits : 0), 0) === 0;
  let newest: number | undefined;
  for (const [index, ledger] of ledgers.entries()) {
    const head = ledger.buffered[0];
    if (!head || (wholeTransfersOnly && head.type === 'transfer' && !whole(head))) continue;
    const best = newest === undefined ? undefined : ledgers[newest]!.buffered[0]!;
    if (!best || head.at > best.at || (head.at === best.at && newest === 0)) newest = index;
  }
  return newest ?? (wholeTransfersOnly ? newestHead(ledgers, false) : undefined);
}

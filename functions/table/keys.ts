/** Key builders for every item type in the single table. */
const ACCOUNT = 'ACCOUNT#';
const WEBHOOKS = 'WEBHOOKS';

export const keys = {
  account: (accountId: string) => ({ pk: `${ACCOUNT}${accountId}`, sk: 'ACCOUNT' }),
  apiKey: (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' }),
  /** A platform's own tenant id → its account; written with the account, so each id names one account. */
  externalId: (externalId: string) => ({ pk: `EXTERNAL#${externalId}`, sk: 'EXTERNAL' }),
  /** A charge, top-up or parked query: the idempotency record and the query record in one. */
  txn: (accountId: string, txnId: string) => ({ pk: `${ACCOUNT}${accountId}`, sk: `TXN#${txnId}` }),
  /** Alert state of one episode (from one top-up to the next): what was already sent. */
  alertEpisode: (accountId: string, baselineSeq: number) => ({ pk: `${ACCOUNT}${accountId}`, sk: `ALERTS#${String(baselineSeq).padStart(12, '0')}` }),
  reminder: (accountId: string, reminderId: string) => ({ pk: `${ACCOUNT}${accountId}`, sk: `REMINDER#${reminderId}` }),
  /** One depletion episode of a plan, for the honest social-proof statistic; sorted by start. */
  depletionSample: (plan: string, startedAt: string, accountId: string) => ({ pk: `STATS#DEPLETION#${plan}`, sk: `${startedAt}#${accountId}` }),
  /** A provider's payment (e.g. `stripe:pi_…`) → the account and top-up it paid for; refunds find it here. */
  payment: (paymentRef: string) => ({ pk: `PAYMENT#${paymentRef}`, sk: 'PAYMENT' }),
  /** How far the sweeper has checked key-less charges' ledger entries (by `projectedAt`). */
  sweeperCheckpoint: () => ({ pk: 'SWEEPER', sk: 'KEYLESS' }),
  /** The operator's copy overrides of one locale in force now (`version` names the version they came from). */
  copyCurrent: (locale: string) => ({ pk: `COPY#${locale}`, sk: 'CURRENT' }),
  /** Every version of a locale's overrides ever saved, kept for history and restore; sorted by number. */
  copyVersion: (locale: string, version: number) => ({ pk: `COPY#${locale}`, sk: `${COPY_VERSION_PREFIX}${String(version).padStart(8, '0')}` }),
  /** A locale's A/B experiment of copy variants. */
  copyExperiment: (locale: string) => ({ pk: `COPY#${locale}`, sk: 'EXPERIMENT' }),
  /** The recovery funnel of one depletion episode (the alert episode `baselineSeq` in which the account hit the wall). */
  funnelEpisode: (accountId: string, baselineSeq: number) => ({
    pk: `${ACCOUNT}${accountId}`,
    sk: `${FUNNEL_EPISODE_PREFIX}${String(baselineSeq).padStart(12, '0')}`,
  }),
  /** Where a checkout payment's amount (from its payment record) meets the episode its top-up ended, whichever comes first. */
  funnelPayment: (accountId: string, txnId: string) => ({ pk: `${ACCOUNT}${accountId}`, sk: `FUNNEL#PAY#${txnId}` }),
  /** An episode in the list of walls of its day (UTC): the report reads the recent days' lists for the pending count. */
  funnelWall: (day: string, wallAt: string, accountId: string, baselineSeq: number) => ({
    pk: `FUNNEL#WALLS#${day}`,
    sk: `${wallAt}#${accountId}#${baselineSeq}`,
  }),
  /** Per-day funnel counters of one group (`dimension` all, plan, locale, variant or action): one item per wall day and value. */
  funnelCounter: (dimension: string, day: string, value: string) => ({ pk: `FUNNEL#COUNT#${dimension}`, sk: `${day}#${value}` }),
  /** The work list of the accounts that asked for a weekly or monthly usage digest (the job reads it instead of scanning). */
  digestSubscriber: (kind: string, accountId: string) => ({ pk: `DIGEST#${kind}`, sk: accountId }),
  /** One account's digest of one period (`2026-W48`, `2026-11`): claimed before sending, so it goes out once. */
  digestSent: (accountId: string, periodId: string) => ({ pk: `${ACCOUNT}${accountId}`, sk: `DIGEST#${periodId}` }),
  /** Outbound webhook endpoints, all in one partition: the stream consumer lists them in one query. */
  webhookEndpoint: (endpointId: string) => ({ pk: WEBHOOKS, sk: `ENDPOINT#${endpointId}` }),
  /** An endpoint's signing secrets, apart from the endpoint so that listing endpoints never reads them. */
  webhookSecret: (endpointId: string) => ({ pk: WEBHOOKS, sk: `SECRET#${endpointId}` }),
  /** One event, written once by the record it came from (dedupes events that several records plan). */
  webhookEvent: (eventId: string) => ({ pk: `WEBHOOKEVENT#${eventId}`, sk: 'EVENT' }),
  /** One event for one endpoint; sorted by account, then by the account's stream order. */
  webhookDelivery: (endpointId: string, accountId: string, order: string) => ({ pk: `WEBHOOK#${endpointId}`, sk: `DELIVERY#${accountId}#${order}` }),
  /** A sharded account's key-less charge or refusal record, on one of 64 partition keys picked by a hash of its id (`findTxn` looks here second). */
  spreadTxn: (accountId: string, txnId: string) => ({ pk: spreadTxnPartition(accountId, bucketOf(txnId, SPREAD_TXN_PARTITIONS)), sk: `TXN#${txnId}` }),
  /** One of the 64 partition keys a sharded account's spread records live on (for listing them). */
  spreadTxnPartition,
  /** One of a sharded account's sub-balances, each on its own partition key (README, "Hot accounts"). */
  balanceShard: (accountId: string, shard: number) => ({ pk: shardPartition(accountId, shard), sk: 'SHARD' }),
  /** A ledger entry of a sub-balance's own changes, on the sub-balance's partition key. */
  shardLedgerEntry: (accountId: string, shard: number, seq: number) => ({ pk: shardPartition(accountId, shard), sk: ledgerSortKey(seq) }),
  ledgerEntry: (accountId: string, seq: number) => ({
    pk: `${ACCOUNT}${accountId}`,
    sk: ledgerSortKey(seq),
  }),
} as const;

export const LEDGER_PREFIX = 'LEDGER#';
export const SPREAD_TXN_PARTITIONS = 64;
const SHARD_INFIX = '#SHARD#';
export const COPY_VERSION_PREFIX = 'VERSION#';
export const FUNNEL_EPISODE_PREFIX = 'FUNNEL#EP#';

/** A ledger entry's sort key, the same on the account item's partition and a sub-balance's: entries sort by sequence. */
export function ledgerSortKey(seq: number): string {
  return `${LEDGER_PREFIX}${String(seq).padStart(12, '0')}`;
}

/** A sub-balance's partition key: its item and its ledger. */
function shardPartition(accountId: string, shard: number): string {
  return `${ACCOUNT}${accountId}${SHARD_INFIX}${String(shard).padStart(2, '0')}`;
}

function spreadTxnPartition(accountId: string, bucket: number): string {
  return `${ACCOUNT}${accountId}#TXN#${String(bucket).padStart(2, '0')}`;
}

export function accountIdFromPk(pk: string): string {
  return pk.slice(ACCOUNT.length);
}

/** A stable bucket for a string (FNV-1a): the same id always names the same partition. */
function bucketOf(text: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % buckets;
}

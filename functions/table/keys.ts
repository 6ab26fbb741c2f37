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
  /** Outbound webhook endpoints, all in one partition: the stream consumer lists them in one query. */
  webhookEndpoint: (endpointId: string) => ({ pk: WEBHOOKS, sk: `ENDPOINT#${endpointId}` }),
  /** An endpoint's signing secrets, apart from the endpoint so that listing endpoints never reads them. */
  webhookSecret: (endpointId: string) => ({ pk: WEBHOOKS, sk: `SECRET#${endpointId}` }),
  /** One event, written once by the record it came from (dedupes events that several records plan). */
  webhookEvent: (eventId: string) => ({ pk: `WEBHOOKEVENT#${eventId}`, sk: 'EVENT' }),
  /** One event for one endpoint; sorted by account, then by the account's stream order. */
  webhookDelivery: (endpointId: string, accountId: string, order: string) => ({ pk: `WEBHOOK#${endpointId}`, sk: `DELIVERY#${accountId}#${order}` }),
  ledgerEntry: (accountId: string, seq: number) => ({
    pk: `${ACCOUNT}${accountId}`,
    sk: `${LEDGER_PREFIX}${String(seq).padStart(12, '0')}`,
  }),
} as const;

export const LEDGER_PREFIX = 'LEDGER#';

export function accountIdFromPk(pk: string): string {
  return pk.slice(ACCOUNT.length);
}

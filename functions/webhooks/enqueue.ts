import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { AccountItem } from '../accounts/model.ts';
import { findAccount } from '../accounts/store.ts';
import { becameRefused, type TxnItem } from '../metering/txn.ts';
import type { Clock } from '../shared/clock.ts';
import { logger } from '../shared/logger.ts';
import { type EventSource, type PlannedEvent, planEvents } from './events.ts';
import type { EndpointItem } from './model.ts';
import { deliveryQueue } from './queue.ts';
import { claimEvent, eventOccurredAt, listEndpoints, putDelivery } from './store.ts';

const image = <T>(raw: object | undefined) => (raw ? (unmarshall(raw as Record<string, AttributeValue>) as T) : undefined);

/** The planner's view of a record: account and txn items only; the account is read for refusals. */
async function sourceOf(record: DynamoDBRecord): Promise<EventSource | undefined> {
  const seq = record.dynamodb?.SequenceNumber ?? '0';
  const item = image<Record<string, unknown>>(record.dynamodb?.NewImage);
  if (item?.entity === 'account') return { kind: 'account', seq, old: image<AccountItem>(record.dynamodb?.OldImage), account: item as unknown as AccountItem };
  if (item?.entity !== 'txn') return undefined;
  const txn = item as unknown as TxnItem;
  const old = image<TxnItem>(record.dynamodb?.OldImage);
  const refusal = becameRefused(old, txn);
  return { kind: 'txn', seq, old, txn, account: refusal ? await findAccount(txn.accountId) : undefined };
}

const accountOf = (record: DynamoDBRecord) => {
  const item = record.dynamodb?.NewImage;
  const id = item?.entity?.S === 'account' ? item.id?.S : item?.entity?.S === 'txn' ? item.accountId?.S : undefined;
  return id;
};

const wants = (endpoint: EndpointItem, type: string) => endpoint.enabled && (endpoint.events.length === 0 || endpoint.events.includes(type as never));

/**
 * The stream consumer's webhook step: the events a batch means, each recorded once and given a
 * pending delivery per interested endpoint, then a message to the delivery queue. Idempotent:
 * a redelivered or bisected batch finds its events and deliveries written and only queues
 * again. Returns the first record of each account whose step failed (the rest went through).
 * With no endpoint enabled it costs one query (none for a batch without account or txn records).
 */
export async function enqueueWebhookEvents(records: readonly DynamoDBRecord[], clock: Clock): Promise<DynamoDBRecord[]> {
  const byAccount = new Map<string, DynamoDBRecord[]>();
  for (const record of records) {
    const accountId = accountOf(record);
    if (!accountId) continue;
    const list = byAccount.get(accountId) ?? [];
    list.push(record);
    byAccount.set(accountId, list);
  }
  if (byAccount.size === 0) return [];
  const endpoints = (await listEndpoints()).filter((endpoint) => endpoint.enabled);
  if (endpoints.length === 0) return [];
  const failed: DynamoDBRecord[] = [];
  await Promise.all(
    [...byAccount].map(async ([accountId, accountRecords]) => {
      try {
        await enqueueAccount(accountId, accountRecords, endpoints, clock);
      } catch (error) {
        logger.error('webhook events not recorded; the records will be retried', { error, accountId });
        failed.push(accountRecords[0] as DynamoDBRecord);
      }
    }),
  );
  return failed;
}

async function enqueueAccount(accountId: string, records: DynamoDBRecord[], endpoints: EndpointItem[], clock: Clock): Promise<void> {
  const sources: EventSource[] = [];
  for (const record of records) {
    const source = await sourceOf(record);
    if (source) sources.push(source);
  }
  const touched = new Set<string>();
  for (const planned of planEvents(sources)) {
    const event = await complete(planned);
    if (!event || !(await claimEvent(event, clock.now()))) continue;
    for (const endpoint of endpoints.filter((candidate) => wants(candidate, event.event.type))) {
      const now = clock.now().toISOString();
      await putDelivery({
        endpointId: endpoint.id,
        accountId,
        order: event.order,
        eventId: event.event.id,
        eventType: event.event.type,
        body: JSON.stringify(event.event),
        status: 'pending',
        attempts: 0,
        retryFrom: now,
        nextAttemptAt: now,
        createdAt: now,
      });
      touched.add(endpoint.id);
    }
  }
  const queue = deliveryQueue();
  if (!queue && touched.size > 0) logger.warn('no webhook delivery queue configured; deliveries wait in the table', { accountId });
  for (const endpointId of touched) await queue?.send({ endpointId, accountId }, 0);
}

/** `episode.recovered` goes out only after its episode's `balance.depleted`, and carries its time. */
async function complete(planned: PlannedEvent): Promise<PlannedEvent | undefined> {
  if (!planned.afterDepletion) return planned;
  const depletedAt = await eventOccurredAt(planned.afterDepletion);
  if (!depletedAt) return undefined;
  return { ...planned, event: { ...planned.event, data: { ...planned.event.data, depletedAt } } as PlannedEvent['event'] };
}

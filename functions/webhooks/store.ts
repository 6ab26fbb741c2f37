import { randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { addHours, epochSeconds } from '../shared/clock.ts';
import { config } from '../shared/config.ts';
import { conditionalWrite, documentClient, queryItems, tableName } from '../shared/dynamodb.ts';
import { keys } from '../table/keys.ts';
import type { PlannedEvent } from './events.ts';
import type { DeliveryItem, EndpointItem, EndpointSecrets } from './model.ts';

/** Delivered and failed deliveries, and event records, are kept this long for the deliveries API. */
const RETENTION_DAYS = 30;
const expiresIn = (now: Date, days: number) => epochSeconds(addHours(now, days * 24));
/** A pending delivery (say, of an endpoint deleted or disabled for good) is removed that long after its retry window. */
const pendingExpiry = (retryFrom: string) => expiresIn(addHours(new Date(retryFrom), config().WEBHOOK_RETRY_HOURS), RETENTION_DAYS);

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

// ---- endpoints ----

export async function putEndpoint(endpoint: EndpointItem, secret: string): Promise<void> {
  await documentClient().send(
    new PutCommand({ TableName: tableName(), Item: { ...keys.webhookSecret(endpoint.id), entity: 'webhookSecret', current: secret } satisfies object }),
  );
  await documentClient().send(
    new PutCommand({ TableName: tableName(), Item: { ...keys.webhookEndpoint(endpoint.id), entity: 'webhookEndpoint', ...endpoint } }),
  );
}

export async function findEndpoint(endpointId: string): Promise<EndpointItem | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.webhookEndpoint(endpointId), ConsistentRead: true }));
  return Item ? stripKeys<EndpointItem>(Item) : undefined;
}

export async function listEndpoints(): Promise<EndpointItem[]> {
  const found: EndpointItem[] = [];
  const { pk } = keys.webhookEndpoint('');
  for await (const item of queryItems<Record<string, unknown>>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :endpoint)',
    ExpressionAttributeValues: { ':pk': pk, ':endpoint': 'ENDPOINT#' },
    ConsistentRead: true,
  })) {
    found.push(stripKeys<EndpointItem>(item));
  }
  return found;
}

/** Sets some fields of an endpoint that exists; false when it does not. */
export async function updateEndpoint(endpointId: string, fields: Partial<EndpointItem>, remove: (keyof EndpointItem)[] = []): Promise<boolean> {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  const set = entries.map((_, i) => `#f${i} = :v${i}`);
  const removed = remove.map((_, i) => `#r${i}`);
  return conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.webhookEndpoint(endpointId),
      UpdateExpression: [set.length ? `SET ${set.join(', ')}` : '', removed.length ? `REMOVE ${removed.join(', ')}` : ''].join(' ').trim(),
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: Object.fromEntries([...entries.map(([name], i) => [`#f${i}`, name]), ...remove.map((name, i) => [`#r${i}`, name])]),
      ExpressionAttributeValues: entries.length ? Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])) : undefined,
    }),
  );
}

export async function deleteEndpoint(endpointId: string): Promise<boolean> {
  const { Attributes } = await documentClient().send(
    new DeleteCommand({ TableName: tableName(), Key: keys.webhookEndpoint(endpointId), ReturnValues: 'ALL_OLD' }),
  );
  await documentClient().send(new DeleteCommand({ TableName: tableName(), Key: keys.webhookSecret(endpointId) }));
  return Attributes !== undefined;
}

export async function findSecrets(endpointId: string): Promise<EndpointSecrets | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.webhookSecret(endpointId), ConsistentRead: true }));
  return Item ? { current: Item.current, previous: Item.previous, previousUntil: Item.previousUntil } : undefined;
}

/** A new current secret; the old one keeps signing until `previousUntil`. */
export async function rotateSecret(endpointId: string, secret: string, previousUntil: Date): Promise<void> {
  await documentClient().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.webhookSecret(endpointId),
      // CURRENT is a reserved word in DynamoDB expressions.
      UpdateExpression: 'SET #previous = #current, previousUntil = :until, #current = :secret',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#previous': 'previous', '#current': 'current' },
      ExpressionAttributeValues: { ':until': previousUntil.toISOString(), ':secret': secret },
    }),
  );
}

// ---- events and deliveries ----

/**
 * Records the event once. True when this record may (re)create its deliveries: it wrote the
 * event, or wrote it before (a redelivered stream record). False when another record did.
 */
export async function claimEvent(planned: PlannedEvent, now: Date): Promise<boolean> {
  const claimed = await conditionalWrite(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...keys.webhookEvent(planned.event.id),
        entity: 'webhookEvent',
        accountId: planned.accountId,
        type: planned.event.type,
        occurredAt: planned.event.timestamp,
        source: planned.source,
        expiresAtEpoch: expiresIn(now, RETENTION_DAYS),
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #source = :source',
      ExpressionAttributeNames: { '#source': 'source' },
      ExpressionAttributeValues: { ':source': planned.source },
    }),
  );
  return claimed;
}

/** When an event was recorded, if it was: `episode.recovered` reads its episode's depletion. */
export async function eventOccurredAt(eventId: string): Promise<string | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.webhookEvent(eventId), ConsistentRead: true }));
  return Item?.occurredAt as string | undefined;
}

/** Creates the delivery unless it exists (a redelivered record finds it). */
export async function putDelivery(delivery: DeliveryItem): Promise<void> {
  await conditionalWrite(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...keys.webhookDelivery(delivery.endpointId, delivery.accountId, delivery.order),
        entity: 'webhookDelivery',
        ...delivery,
        expiresAtEpoch: pendingExpiry(delivery.retryFrom),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function findDelivery(endpointId: string, accountId: string, order: string): Promise<DeliveryItem | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({ TableName: tableName(), Key: keys.webhookDelivery(endpointId, accountId, order), ConsistentRead: true }),
  );
  return Item ? stripKeys<DeliveryItem>(Item) : undefined;
}

/** The account's oldest delivery still pending for this endpoint: the only one that may go out. */
export async function oldestPending(endpointId: string, accountId: string): Promise<DeliveryItem | undefined> {
  const { pk, sk } = keys.webhookDelivery(endpointId, accountId, '');
  for await (const item of queryItems<Record<string, unknown>>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :account)',
    FilterExpression: '#status = :pending',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':pk': pk, ':account': sk, ':pending': 'pending' },
    ConsistentRead: true,
  })) {
    return stripKeys<DeliveryItem>(item);
  }
  return undefined;
}

/** The endpoint's latest deliveries (by account, then in order), at most `limit`. */
export async function listDeliveries(endpointId: string, limit: number): Promise<DeliveryItem[]> {
  const { pk } = keys.webhookDelivery(endpointId, '', '');
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :delivery)',
      ExpressionAttributeValues: { ':pk': pk, ':delivery': 'DELIVERY#' },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (Items ?? []).map((item) => stripKeys<DeliveryItem>(item));
}

/** Every (endpoint, account) with a pending delivery: what the local sweep re-queues after a restart. */
export async function pendingPairs(endpointId: string): Promise<string[]> {
  const { pk } = keys.webhookDelivery(endpointId, '', '');
  const accounts = new Set<string>();
  for await (const item of queryItems<DeliveryItem>({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :delivery)',
    FilterExpression: '#status = :pending',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':pk': pk, ':delivery': 'DELIVERY#', ':pending': 'pending' },
  })) {
    accounts.add(item.accountId);
  }
  return [...accounts];
}

/**
 * Takes the delivery for one attempt: false when another worker holds it, it is no longer pending,
 * or another attempt was recorded since it was read (the attempt count and backoff it was read with
 * would be stale: a second worker would send early and its record would overwrite the first's count).
 */
export async function leaseDelivery(delivery: DeliveryItem, now: Date, leaseMs: number): Promise<boolean> {
  return conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.webhookDelivery(delivery.endpointId, delivery.accountId, delivery.order),
      UpdateExpression: 'SET leaseUntil = :until',
      ConditionExpression: '#status = :pending AND attempts = :seen AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':seen': delivery.attempts,
        ':now': now.toISOString(),
        ':until': new Date(now.getTime() + leaseMs).toISOString(),
      },
    }),
  );
}

/** Records an attempt's outcome and releases the lease. */
export async function settleAttempt(
  delivery: DeliveryItem,
  outcome: Pick<DeliveryItem, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'lastStatusCode' | 'deliveredAt'>,
  now: Date,
): Promise<void> {
  const settled = outcome.status !== 'pending';
  await documentClient().send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...keys.webhookDelivery(delivery.endpointId, delivery.accountId, delivery.order),
        entity: 'webhookDelivery',
        ...withoutLease(delivery),
        ...outcome,
        expiresAtEpoch: settled ? expiresIn(now, RETENTION_DAYS) : pendingExpiry(delivery.retryFrom),
      },
    }),
  );
}

/** An admin's retry: pending again, due now, with a fresh retry window. False when it is pending already. */
export async function requeueDelivery(delivery: DeliveryItem, now: Date): Promise<boolean> {
  return conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.webhookDelivery(delivery.endpointId, delivery.accountId, delivery.order),
      UpdateExpression: 'SET #status = :pending, nextAttemptAt = :now, retryFrom = :now, expiresAtEpoch = :expires REMOVE leaseUntil',
      ConditionExpression: 'attribute_exists(pk) AND #status <> :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending': 'pending', ':now': now.toISOString(), ':expires': pendingExpiry(now.toISOString()) },
    }),
  );
}

function withoutLease(delivery: DeliveryItem): DeliveryItem {
  const { leaseUntil: _lease, ...rest } = delivery;
  return rest;
}

function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, entity: _entity, expiresAtEpoch: _ttl, ...rest } = item;
  return rest as T;
}

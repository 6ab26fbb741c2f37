import { AsyncLocalStorage } from 'node:async_hooks';
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { itemSize, readUnits, writeUnits } from './item-size.ts';

/**
 * Instrumentation of the SDK clients, added from outside (no file under functions/ changes):
 * a middleware on each client's stack counts HTTP round trips to DynamoDB — inside the SDK's
 * retry loop, so every attempt counts — and, when `billing` is on, computes the request units
 * AWS would bill from item sizes read before and after the call through a separate client.
 */

export type Source = 'request' | 'stream';
export const source = new AsyncLocalStorage<Source>();

export interface CallRecord {
  design: string;
  source: Source;
  operation: string;
  attempts: number;
  ok: boolean;
  wru: number;
  rru: number;
  /** What DynamoDB Local said it consumed (ReturnConsumedCapacity TOTAL), for comparison. */
  localReported?: number;
}

export interface Meter {
  calls: CallRecord[];
  /** When on, every call is sized (slow: two extra reads per item touched). */
  billing: boolean;
  sizer?: DynamoDBClient;
}

export const meter: Meter = { calls: [], billing: false };

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The calls per sample by operation, e.g. `TransactWriteItems×1 (4W 0R) + GetItem×1 (0W 1R)`;
 * `label` names each call (by default its operation).
 */
export function describeCalls(calls: readonly CallRecord[], samples: number, label = (call: CallRecord) => call.operation): string {
  const byLabel = new Map<string, { n: number; wru: number; rru: number }>();
  for (const call of calls) {
    const entry = byLabel.get(label(call)) ?? { n: 0, wru: 0, rru: 0 };
    byLabel.set(label(call), { n: entry.n + call.attempts, wru: entry.wru + call.wru, rru: entry.rru + call.rru });
  }
  return [...byLabel].map(([name, e]) => `${name}×${round(e.n / samples)} (${round(e.wru / samples)}W ${round(e.rru / samples)}R)`).join(' + ');
}

type Key = { table: string; key: Record<string, AttributeValue>; write: boolean; putItem?: Record<string, AttributeValue> };

function touched(operation: string, input: any): Key[] {
  const keyOf = (item: Record<string, AttributeValue>) => ({ pk: item.pk, sk: item.sk }) as Record<string, AttributeValue>;
  switch (operation) {
    case 'GetItem':
      return [{ table: input.TableName, key: input.Key, write: false }];
    case 'PutItem':
      return [{ table: input.TableName, key: keyOf(input.Item), write: true, putItem: input.Item }];
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ table: input.TableName, key: input.Key, write: true }];
    case 'TransactWriteItems':
      return (input.TransactItems ?? []).map((entry: any) => {
        if (entry.Put) return { table: entry.Put.TableName, key: keyOf(entry.Put.Item), write: true, putItem: entry.Put.Item };
        const part = entry.Update ?? entry.Delete ?? entry.ConditionCheck;
        return { table: part.TableName, key: part.Key, write: true };
      });
    case 'BatchWriteItem':
      // The stream consumer's ledger writes: each put is billed like a PutItem of that item.
      return Object.entries(input.RequestItems ?? {}).flatMap(([table, requests]) =>
        (requests as any[])
          .filter((request) => request.PutRequest)
          .map((request) => ({ table, key: keyOf(request.PutRequest.Item), write: true, putItem: request.PutRequest.Item })),
      );
    default:
      return [];
  }
}

async function sizeNow(key: Key): Promise<number> {
  const { Item } = await meter.sizer!.send(new GetItemCommand({ TableName: key.table, Key: key.key, ConsistentRead: true }));
  return itemSize(Item);
}

/** Adds the counting middleware to a client's stack (shared by its document client). */
export function instrument(client: { middlewareStack: any }, design: string): void {
  // Outermost: one record per command; asks DynamoDB Local for its own figure when billing.
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      const record: CallRecord = { design, source: source.getStore() ?? 'request', operation: '?', attempts: 0, ok: false, wru: 0, rru: 0 };
      context.benchRecord = record;
      try {
        const output = await next(args);
        record.ok = true;
        const consumed = output?.output?.ConsumedCapacity;
        if (meter.billing) {
          record.localReported = Array.isArray(consumed)
            ? consumed.reduce((sum: number, c: { CapacityUnits?: number }) => sum + (c.CapacityUnits ?? 0), 0)
            : consumed?.CapacityUnits;
          // A Query's items are not known before it runs, so it is not sized from outside: DynamoDB
          // Local's figure for a read is AWS's rule (4 KB units of the items read, half when eventually
          // consistent), and a Query that returns nothing is still billed its minimum.
          if (record.operation === 'Query') record.rru += Math.max(record.localReported ?? 0, args.input?.ConsistentRead ? 1 : 0.5);
        }
        return output;
      } finally {
        meter.calls.push(record);
      }
    },
    { step: 'initialize', priority: 'high', name: 'benchRecord' },
  );
  // Asks DynamoDB Local for its own figure, in the serialized body (the document client rebuilds its input).
  client.middlewareStack.add(
    (next: any) => async (args: any) => {
      const request = args.request;
      if (meter.billing && request?.body) {
        const text = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
        const input = JSON.parse(text);
        if (!input.ReturnConsumedCapacity) {
          request.body = JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' });
          for (const name of Object.keys(request.headers)) if (name.toLowerCase() === 'content-length') delete request.headers[name];
          request.headers['content-length'] = String(Buffer.byteLength(request.body));
        }
      }
      return next(args);
    },
    { step: 'build', priority: 'high', name: 'benchConsumedCapacity' },
  );
  // Inside the retry loop: one count per HTTP round trip; the body is the low-level JSON sent.
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      const record: CallRecord = context.benchRecord;
      const operation =
        String(args.request?.headers?.['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '?';
      record.operation = operation;
      record.attempts++;
      if (!meter.billing) return next(args);
      const body = args.request.body;
      const input = JSON.parse(typeof body === 'string' ? body : body ? new TextDecoder().decode(body) : '{}');
      const keys = touched(operation, input);
      const before = await Promise.all(keys.map(sizeNow));
      try {
        return await next(args);
      } finally {
        const after = await Promise.all(keys.map(sizeNow));
        const transactional = operation.startsWith('Transact');
        keys.forEach((key, i) => {
          // Failed conditional writes are billed too: the larger of the stored item and the one sent.
          const largest = Math.max(before[i] ?? 0, after[i] ?? 0, itemSize(key.putItem));
          if (key.write) record.wru += writeUnits(largest) * (transactional ? 2 : 1);
          else record.rru += readUnits(before[i] ?? 0, input.ConsistentRead === true);
        });
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchRoundTrips' },
  );
}

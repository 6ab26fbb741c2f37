import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Per-partition-key limits, in units per second (AWS: 1,000 write and 3,000 read units per key). */
export interface ThrottleLimits {
  wcuPerKey: number;
  rcuPerKey: number;
}

/** What one call consumes on each partition key it touches. */
export interface CallUnits {
  writes: Map<string, number>;
  reads: Map<string, number>;
}

type AttributeMap = Record<string, unknown>;
type Body = Record<string, unknown>;

const KB = 1024;

/**
 * The units a DynamoDB call consumes per partition key, by AWS's billing rules: a write 1 WCU per
 * started KB, a strongly consistent read 1 RCU per started 4 KB (½ eventually consistent), every
 * item inside a transaction twice. The item size is approximated by the size of the call's own
 * JSON for that item (a `PutItem`'s item; an `UpdateItem`'s key and values; a read's key): the
 * proxy never sees the stored item, and Tollgate's items are all well under 1 KB. Pure.
 */
export function unitsOf(operation: string, body: Body): CallUnits {
  const units: CallUnits = { writes: new Map(), reads: new Map() };
  const add = (map: Map<string, number>, key: string | undefined, amount: number) => {
    if (key !== undefined) map.set(key, (map.get(key) ?? 0) + amount);
  };
  const write = (item: AttributeMap, extra: unknown, factor: number) => add(units.writes, partitionOf(item), factor * Math.ceil(sizeOf(item, extra) / KB));
  const read = (key: AttributeMap, consistent: boolean, factor: number) => add(units.reads, partitionOf(key), factor * (consistent ? 1 : 0.5));
  switch (operation) {
    case 'PutItem':
      write(body.Item as AttributeMap, undefined, 1);
      break;
    case 'UpdateItem':
    case 'DeleteItem':
      write(body.Key as AttributeMap, body.ExpressionAttributeValues, 1);
      break;
    case 'GetItem':
      read(body.Key as AttributeMap, body.ConsistentRead === true, 1);
      break;
    case 'Query':
      add(units.reads, queriedPartition(body), body.ConsistentRead === true ? 1 : 0.5);
      break;
    case 'TransactWriteItems':
      for (const item of (body.TransactItems ?? []) as Body[]) {
        if (item.Put) write((item.Put as Body).Item as AttributeMap, undefined, 2);
        for (const kind of ['Update', 'Delete', 'ConditionCheck']) {
          const part = item[kind] as Body | undefined;
          if (part) write(part.Key as AttributeMap, part.ExpressionAttributeValues, 2);
        }
      }
      break;
    case 'TransactGetItems':
      for (const item of (body.TransactItems ?? []) as Body[]) read((item.Get as Body).Key as AttributeMap, true, 2);
      break;
    case 'BatchWriteItem':
      for (const requests of Object.values((body.RequestItems ?? {}) as Record<string, Body[]>)) {
        for (const request of requests) {
          if (request.PutRequest) write((request.PutRequest as Body).Item as AttributeMap, undefined, 1);
          if (request.DeleteRequest) write((request.DeleteRequest as Body).Key as AttributeMap, undefined, 1);
        }
      }
      break;
    case 'BatchGetItem':
      for (const table of Object.values((body.RequestItems ?? {}) as Record<string, Body>)) {
        for (const key of (table.Keys ?? []) as AttributeMap[]) read(key, table.ConsistentRead === true, 1);
      }
      break;
    // Scans, table management and stream reads are not per-key traffic.
  }
  return units;
}

/** Tollgate's partition key is `pk` (a string); the proxy keys its buckets by its value. */
function partitionOf(item: AttributeMap | undefined): string | undefined {
  const pk = item?.pk as { S?: string } | undefined;
  return pk?.S;
}

function sizeOf(item: AttributeMap | undefined, extra: unknown): number {
  return Math.max(1, Buffer.byteLength(JSON.stringify(item ?? {})) + (extra ? Buffer.byteLength(JSON.stringify(extra)) : 0));
}

/** The `pk` value of a `Query` whose key condition is `pk = :value` (or `#name = :value` naming `pk`). */
function queriedPartition(body: Body): string | undefined {
  const condition = String(body.KeyConditionExpression ?? '');
  const names = (body.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (body.ExpressionAttributeValues ?? {}) as Record<string, { S?: string }>;
  for (const [, name, value] of condition.matchAll(/(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)/g)) {
    if ((names[name!] ?? name) === 'pk') return values[value!]?.S;
  }
  return undefined;
}

/**
 * Token buckets per partition key: each holds at most one second of its limit and refills
 * continuously. A call takes its units from every key it touches, or from none (it is throttled
 * and nothing is applied, as in DynamoDB). `now` is injectable for tests.
 */
export class KeyBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perSecond: number;
  private readonly now: () => number;

  constructor(perSecond: number, now: () => number = () => performance.now()) {
    this.perSecond = perSecond;
    this.now = now;
  }

  /** Takes the units if every key has them; otherwise takes nothing and returns false. */
  take(units: Map<string, number>): boolean {
    const at = this.now();
    const current = [...units].map(([key, amount]) => ({ key, amount, bucket: this.refilled(key, at) }));
    if (current.some(({ amount, bucket }) => bucket.tokens < Math.min(amount, this.perSecond))) return false;
    for (const { amount, bucket } of current) bucket.tokens -= amount;
    return true;
  }

  private refilled(key: string, at: number) {
    const bucket = this.buckets.get(key) ?? { tokens: this.perSecond, at };
    bucket.tokens = Math.min(this.perSecond, bucket.tokens + ((at - bucket.at) / 1000) * this.perSecond);
    bucket.at = at;
    this.buckets.set(key, bucket);
    return bucket;
  }
}

/**
 * An HTTP proxy in front of DynamoDB Local that enforces DynamoDB's per-partition-key throughput
 * limits, which DynamoDB Local does not. An over-limit call is answered as DynamoDB answers a hot
 * partition — HTTP 400, `ProvisionedThroughputExceededException` with `ThrottlingReasons`
 * `TableWriteKeyRangeThroughputExceeded` / `TableReadKeyRangeThroughputExceeded` — without
 * reaching DynamoDB Local, so the SDK's own retries (and Tollgate's) run as they would on AWS.
 */
export class ThrottleProxy {
  /** Calls answered with a throttling error, by reason. */
  readonly throttled = { write: 0, read: 0 };
  private server?: Server;
  private readonly target: URL;
  private readonly writes: KeyBuckets;
  private readonly reads: KeyBuckets;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  readonly limits: ThrottleLimits;

  constructor(target: string, limits: ThrottleLimits, now?: () => number) {
    this.limits = limits;
    this.target = new URL(target);
    this.writes = new KeyBuckets(limits.wcuPerKey, now);
    this.reads = new KeyBuckets(limits.rcuPerKey, now);
  }

  get endpoint(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('The throttle proxy is not listening.');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(port = 0): Promise<this> {
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.agent.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const payload = Buffer.concat(chunks);
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const refusal = this.admit(operation, payload);
    if (refusal) return void answerThrottled(response, refusal, this.tableOf(payload));
    const upstream = httpRequest(
      { host: this.target.hostname, port: this.target.port, method: request.method, path: request.url, headers: request.headers, agent: this.agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.once('error', () => response.destroy());
    upstream.end(payload);
  }

  /** The throttling reason when the call is over a key's limit, else undefined (and its units are taken). */
  private admit(operation: string, payload: Buffer): 'write' | 'read' | undefined {
    let body: Body;
    try {
      body = JSON.parse(payload.toString('utf8') || '{}') as Body;
    } catch {
      return undefined;
    }
    const units = unitsOf(operation, body);
    // Reads are checked first so that a refused call takes no write units either.
    if (units.reads.size > 0 && !this.reads.take(units.reads)) return this.count('read');
    if (units.writes.size > 0 && !this.writes.take(units.writes)) return this.count('write');
    return undefined;
  }

  private count(kind: 'write' | 'read'): 'write' | 'read' {
    this.throttled[kind]++;
    return kind;
  }

  private tableOf(payload: Buffer): string {
    try {
      const body = JSON.parse(payload.toString('utf8')) as Body;
      if (typeof body.TableName === 'string') return body.TableName;
      const items = (body.TransactItems ?? []) as Body[];
      const first = items[0] && (Object.values(items[0])[0] as Body | undefined);
      if (typeof first?.TableName === 'string') return first.TableName;
      return Object.keys((body.RequestItems ?? {}) as Body)[0] ?? 'unknown';
    } catch {
      return 'unknown';
    }
  }
}

/** DynamoDB's answer to a call over a partition key's limit (JSON 1.0 protocol). */
export function answerThrottled(response: ServerResponse, kind: 'write' | 'read', table: string): void {
  const reason = kind === 'write' ? 'TableWriteKeyRangeThroughputExceeded' : 'TableReadKeyRangeThroughputExceeded';
  const body = JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
    ThrottlingReasons: [{ reason, resource: `arn:aws:dynamodb:local:000000000000:table/${table}` }],
  });
  response.writeHead(400, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  response.end(body);
}

/**
 * With `DYNAMODB_THROTTLE_WCU_PER_KEY` set (and optionally `DYNAMODB_THROTTLE_RCU_PER_KEY`, default
 * three times it), the local stack's handlers reach DynamoDB Local through a started proxy: to see
 * a hot account throttled, and sharded. Undefined (no proxy) when unset, the default.
 */
export async function throttleProxyFromEnv(endpoint: string, env: NodeJS.ProcessEnv = process.env): Promise<ThrottleProxy | undefined> {
  const wcu = env.DYNAMODB_THROTTLE_WCU_PER_KEY;
  if (!wcu) return undefined;
  const limit = (name: string, value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${name} must be a positive number of units per second (got "${value}").`);
    return parsed;
  };
  const wcuPerKey = limit('DYNAMODB_THROTTLE_WCU_PER_KEY', wcu);
  const rcuPerKey = limit('DYNAMODB_THROTTLE_RCU_PER_KEY', env.DYNAMODB_THROTTLE_RCU_PER_KEY ?? String(3 * wcuPerKey));
  return new ThrottleProxy(endpoint, { wcuPerKey, rcuPerKey }).start();
}

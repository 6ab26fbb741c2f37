/**
 * The `hotAccount.sharded` row: one account, 64 clients, key-less metered queries, with the
 * throttling proxy (local/throttle-proxy.ts) enforcing a per-partition-key write limit in front of
 * DynamoDB Local — first with the account's credits in its one item, then in 16 sub-balances.
 * Runs in its own process (the handlers' DynamoDB client must point at the proxy from its first
 * call); `bench/run.ts` starts it and adds its JSON line to results.json. Alone:
 * `BENCH_ONLY=hotAccountSharded npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ensureTable, startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { freePort } from '../local/ports.ts';
import { ThrottleProxy } from '../local/throttle-proxy.ts';

/** Per-key limits scaled down so that this 2-core machine, not the proxy, is what a sharded account meets (AWS: 1,000 WCU/s, 3,000 RCU/s). */
const WCU_PER_KEY = Number(process.env.BENCH_THROTTLE_WCU_PER_KEY ?? 10);
const RCU_PER_KEY = Number(process.env.BENCH_THROTTLE_RCU_PER_KEY ?? 3 * WCU_PER_KEY);
const SHARDS = 16;
const CLIENTS = 64;
/** The sharded run spends exactly this many credits (1 per query) and then asks for more than is left. */
const SHARDED_CREDITS = Number(process.env.BENCH_HOT_SHARDED_CREDITS ?? 2000);
const SHARDED_EXTRA = 200;
/** The single-item run is time-boxed: at a few requests per second a fixed count would take minutes. */
const SINGLE_SECONDS = Number(process.env.BENCH_HOT_SINGLE_SECONDS ?? 10);
/**
 * 64 clients on one throttled item collapse (most calls are throttled, retried and given up), so
 * the single item is also measured with fewer clients and its best rate is the one compared:
 * the speedup is against the single item at its best, not at its collapse.
 */
const SINGLE_CLIENTS = [2, 8, CLIENTS];
const PRICE = 1;
const QUERY = { operation: 'search', input: { q: 'bolt', limit: 3 } };
const ADMIN_KEY = `tgadmin_bench_${randomBytes(12).toString('hex')}`;

export interface HotShardedResult {
  throttleWcuPerKey: number;
  singleItemRps: number;
  shardedRps: number;
  speedup: number;
  overdrafts: number;
  spurious402: number;
  details: Record<string, unknown>;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main() {
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  const proxy = await new ThrottleProxy(dynamo.endpoint, { wcuPerKey: WCU_PER_KEY, rcuPerKey: RCU_PER_KEY }).start();
  try {
    const table = 'tollgate-bench-hot';
    await ensureTable(dynamo.client, table);
    Object.assign(process.env, {
      TABLE_NAME: table,
      DYNAMODB_ENDPOINT: proxy.endpoint,
      TOLLGATE_ADMIN_KEY: ADMIN_KEY,
      TOLLGATE_PUBLIC_URL: 'http://127.0.0.1:1',
      LINK_SIGNING_SECRET: randomBytes(32).toString('hex'),
      TOLLGATE_PRICE_BOOK: readFileSync(new URL('../tollgate.prices.json', import.meta.url), 'utf8'),
      AWS_REGION: 'local',
      POWERTOOLS_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'CRITICAL',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const { loadLambdas, startGateway } = await import('../local/gateway.ts');
    const gateway = await startGateway({ port: 0, lambdas: await loadLambdas() });
    try {
      const result = await measure(gateway.url, proxy);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      await gateway.stop();
    }
  } finally {
    await proxy.stop();
    await dynamo.stop();
  }
}

async function post(url: string, path: string, token: string, body: unknown, method = 'POST', idempotencyKey?: string) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text };
}

async function customer(url: string, credits: number, shards: number) {
  const account = JSON.parse((await post(url, '/v1/accounts', ADMIN_KEY, { name: 'Hot Co', email: 'hot@example.com' })).text);
  const key = JSON.parse((await post(url, `/v1/accounts/${account.id}/keys`, ADMIN_KEY, { name: 'bench' })).text);
  const topUp = await post(url, `/v1/accounts/${account.id}/top-ups`, ADMIN_KEY, { credits }, 'POST', `open-${account.id}`);
  if (topUp.status !== 201) throw new Error(`top-up: ${topUp.status} ${topUp.text}`);
  if (shards > 1) {
    const patched = await post(url, `/v1/accounts/${account.id}`, ADMIN_KEY, { shards }, 'PATCH');
    if (patched.status !== 200) throw new Error(`shards: ${patched.status} ${patched.text}`);
  }
  return { accountId: account.id as string, apiKey: key.key as string };
}

async function totalOf(url: string, accountId: string): Promise<number> {
  const response = await fetch(`${url}/v1/accounts/${accountId}`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
  return (JSON.parse(await response.text()) as { balance: { available: number } }).balance.available;
}

/** 64 clients sending key-less queries until `more()` says stop; every answer's status, and each 402's shown total. */
async function load(url: string, apiKey: string, more: (sent: number) => boolean, clients = CLIENTS) {
  const statuses = new Map<number, number>();
  const refusalsShowing: number[] = [];
  const failures: { at: number; text: string }[] = [];
  let sent = 0;
  let lastSuccessAt = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (more(sent)) {
        sent++;
        const reply = await post(url, '/v1/queries', apiKey, QUERY);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        if (reply.status === 200) lastSuccessAt = performance.now();
        if (reply.status >= 500) failures.push({ at: performance.now(), text: reply.text });
        if (reply.status === 402) refusalsShowing.push((JSON.parse(reply.text) as { balance?: { available?: number } }).balance?.available ?? Number.NaN);
      }
    }),
  );
  // Failures answered before the last success: the account still had credits then.
  const failuresWithCreditsLeft = failures.filter((failure) => failure.at < lastSuccessAt);
  const sample = [...new Set(failures.map((failure) => (JSON.parse(failure.text) as { detail?: string }).detail ?? failure.text.slice(0, 120)))].slice(0, 3);
  return {
    statuses,
    refusalsShowing,
    failuresWithCreditsLeft: failuresWithCreditsLeft.length,
    failureDetails: sample,
    seconds: (performance.now() - started) / 1000,
    secondsToLastSuccess: (lastSuccessAt - started) / 1000,
  };
}

async function measure(url: string, proxy: ThrottleProxy): Promise<HotShardedResult> {
  // Single item: credits enough for every time box, so any 402 is spurious.
  const single = await customer(url, 1_000_000, 1);
  const throttledBefore = proxy.throttled.write;
  const singleRuns = [];
  for (const clients of SINGLE_CLIENTS) {
    const deadline = performance.now() + SINGLE_SECONDS * 1000;
    const run = await load(url, single.apiKey, () => performance.now() < deadline, clients);
    singleRuns.push({ clients, ...run, rps: (run.statuses.get(200) ?? 0) / run.seconds });
  }
  const singleThrottled = proxy.throttled.write - throttledBefore;
  const singleOk = singleRuns.reduce((sum, run) => sum + (run.statuses.get(200) ?? 0), 0);
  const singleTotal = await totalOf(url, single.accountId);
  const best = singleRuns.reduce((a, b) => (b.rps > a.rps ? b : a));

  // Sharded: exactly SHARDED_CREDITS credits, and SHARDED_EXTRA more queries than they pay for.
  const sharded = await customer(url, SHARDED_CREDITS * PRICE, SHARDS);
  const shardedRun = await load(url, sharded.apiKey, (sent) => sent < SHARDED_CREDITS + SHARDED_EXTRA);
  const shardedOk = shardedRun.statuses.get(200) ?? 0;
  const shardedTotal = await totalOf(url, sharded.accountId);

  const singleItemRps = best.rps;
  const shardedRps = shardedOk / shardedRun.secondsToLastSuccess;
  // More delivered than paid for, or a total below zero.
  const overdrafts =
    Math.max(0, singleOk * PRICE - (1_000_000 - singleTotal), -singleTotal) + Math.max(0, shardedOk * PRICE - SHARDED_CREDITS * PRICE, -shardedTotal);
  // A 402 is spurious when the account as a whole covered the price: on the single item, every one (its credits never ran out);
  // on the sharded account, one that showed a total covering the price, or any while credits were left at the end.
  const spuriousSharded = shardedTotal >= PRICE ? shardedRun.refusalsShowing.length : shardedRun.refusalsShowing.filter((shown) => !(shown < PRICE)).length;
  const spurious402 = singleRuns.reduce((sum, run) => sum + run.refusalsShowing.length, 0) + spuriousSharded;
  return {
    throttleWcuPerKey: WCU_PER_KEY,
    singleItemRps: round(singleItemRps),
    shardedRps: round(shardedRps),
    speedup: round(shardedRps / singleItemRps, 2),
    overdrafts,
    spurious402,
    details: {
      throttleRcuPerKey: RCU_PER_KEY,
      shards: SHARDS,
      clients: CLIENTS,
      singleItem: {
        bestAtClients: best.clients,
        runs: singleRuns.map((run) => ({ clients: run.clients, seconds: round(run.seconds), rps: round(run.rps), statuses: Object.fromEntries(run.statuses) })),
        failureDetails: [...new Set(singleRuns.flatMap((run) => run.failureDetails))].slice(0, 2),
        throttledCalls: singleThrottled,
        ceilingRps: round(WCU_PER_KEY / 2),
      },
      /** Against the single item's theoretical ceiling (2 units per debit on its key), not its measured collapse under 64 clients. */
      speedupOverCeiling: round(shardedRps / (WCU_PER_KEY / 2), 2),
      sharded: {
        credits: SHARDED_CREDITS,
        requests: SHARDED_CREDITS + SHARDED_EXTRA,
        secondsToLastSuccess: round(shardedRun.secondsToLastSuccess),
        seconds: round(shardedRun.seconds),
        statuses: Object.fromEntries(shardedRun.statuses),
        failuresWithCreditsLeft: shardedRun.failuresWithCreditsLeft,
        failureDetails: shardedRun.failureDetails,
        finalTotal: shardedTotal,
        throttledCalls: proxy.throttled.write - throttledBefore - singleThrottled,
      },
      method: `Key-less POST /v1/queries (search, 1 credit) from ${CLIENTS} clients through the local gateway; the throttle proxy allows ${WCU_PER_KEY} write and ${RCU_PER_KEY} read units per second per partition key (a bucket of one second), transactions double, and answers more with DynamoDB's hot-partition error (the SDK and Tollgate retry throttled calls). A key-less debit writes 1 unit on the balance item and its record 1 more (on the account's key when not sharded: ceiling ${WCU_PER_KEY / 2} rps; on one of 64 keys when sharded). Single item: ${SINGLE_SECONDS} s time boxes at ${SINGLE_CLIENTS.join(', ')} clients, ample credits; its best rate is compared. Sharded: exactly ${SHARDED_CREDITS} credits over ${SHARDS} sub-balances and ${SHARDED_EXTRA} queries more than they pay for; rps up to the last success.`,
    },
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { httpHandler } from '../../functions/http/handler.ts';
import { queryRoutes } from '../../functions/queries/routes.ts';
import { catalogService, type MeteredService } from '../../functions/queries/service.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer, type Reply } from '../support/http.ts';
import { pricing } from '../support/prices.ts';
import { fullLedger, ledgerProblems, storedAccount } from './support.ts';

/**
 * Generated interleavings of top-ups, admin debits, metered queries (some whose work fails and is
 * refunded), retries with the same Idempotency-Key, concurrent duplicates and resumes of parked
 * queries. Each run uses a fresh account; after it, the money must add up from what the API
 * acknowledged, and the stream-projected ledger must agree with the balance.
 */

// The real catalogue service, except that a search for "fail-…" throws after the charge. Every search
// carries a nonce, so runs are counted per logical request.
const runs = new Map<string, number>();
const flakyService: MeteredService = {
  ...catalogService,
  async run(operation, input) {
    const q = operation === 'search' ? (input as { q: string }).q : undefined;
    if (q) runs.set(q, (runs.get(q) ?? 0) + 1);
    if (q?.startsWith('fail-')) throw new Error('catalogue backend unreachable');
    return catalogService.run(operation, input);
  },
};

// The local stream poller reports a record it gave up on (the dead-letter destination) on stderr.
const deadLettered: string[] = [];
const consoleError = console.error;

let app: TestApp;
beforeAll(async () => {
  console.error = (...args: unknown[]) => {
    if (String(args[0]).includes('kept failing')) deadLettered.push(String(args[0]));
    consoleError(...args);
  };
  app = await startTestApp({ lambdas: () => ({ queries: httpHandler(queryRoutes({ service: flakyService, pricing, clock: systemClock })) }) });
});
afterAll(async () => {
  await app.stop();
  console.error = consoleError;
});

type Operation = 'search' | 'report' | 'export';
type Op =
  | { kind: 'topUp'; credits: number; key: number; copies: number }
  | { kind: 'debit'; credits: number; key: number; copies: number }
  | { kind: 'query'; operation: Operation; fail: boolean; key: number | null; copies: number }
  | { kind: 'resume'; pick: number; copies: number }
  /** Sends an earlier keyed request again, byte for byte. */
  | { kind: 'retry'; pick: number; copies: number };

const copies = fc.integer({ min: 1, max: 3 });
const key = fc.integer({ min: 0, max: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('topUp' as const), credits: fc.integer({ min: 1, max: 30 }), key, copies }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('debit' as const), credits: fc.integer({ min: 1, max: 15 }), key, copies }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('query' as const),
      operation: fc.constantFrom<Operation>('search', 'search', 'report', 'export'),
      fail: fc.boolean(),
      key: fc.option(key, { nil: null }),
      copies,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resume' as const), pick: fc.nat(), copies }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat(), copies }) },
);

interface Request {
  kind: 'topUp' | 'debit' | 'query' | 'resume';
  method: string;
  path: string;
  token: string;
  body?: unknown;
  idempotencyKey?: string;
  /** Credits this request moves when it is acknowledged. */
  credits: number;
  ackKey?: string;
  queryId?: string;
}

interface Tally {
  topUps: number;
  debits: number;
  refunds: number;
  acknowledgedTopUps: number;
  acknowledgedDebits: number;
  acknowledgedRefunds: number;
  perKey: Map<string, number>;
  perResume: Map<string, number>;
  parked: string[];
  problems: string[];
  log: string[];
}

const WORK_FAILED = 'https://tollgate.dev/problems/work-failed';

/** What the model knows when a batch is sent, to judge each refusal. */
interface BatchContext {
  /** The balance the acknowledged answers add up to; known only when the batch is one operation. */
  modelled?: number;
  /** Sends per Idempotency-Key and per resumed query in this batch: more than one is a real race. */
  sends: Map<string, number>;
  /** Bodies sent per Idempotency-Key in this batch. */
  bodies: Map<string, Set<string>>;
}

async function runScenario(initial: number, batches: Op[][]): Promise<void> {
  const customer = await newCustomer(app.url, initial);
  const { accountId, apiKey } = customer;
  const tally: Tally = {
    topUps: initial,
    debits: 0,
    refunds: 0,
    acknowledgedTopUps: initial > 0 ? 1 : 0,
    acknowledgedDebits: 0,
    acknowledgedRefunds: 0,
    perKey: new Map(),
    perResume: new Map(),
    parked: [],
    problems: [],
    log: [],
  };
  const keyed: Request[] = [];
  let nonce = 0;
  /** The model: the price of each parked query, the bodies whose first use of a key was answered, queries a resume settled. */
  const parkedPrice = new Map<string, number>();
  const answeredBodies = new Map<string, Set<string>>();
  const settled = new Set<string>();

  /** A refusal is justified only by the model: 402 when the balance is short, 422 for a reused key, 409 for a real race. */
  const judge = (reply: Reply, request: Request, label: string, context: BatchContext, replayed: boolean) => {
    const key = request.idempotencyKey;
    const body = JSON.stringify(request.body ?? null);
    const reused = key !== undefined && [...(answeredBodies.get(key) ?? [])].some((earlier) => earlier !== body);
    const clash = key !== undefined && (context.bodies.get(key)?.size ?? 0) > 1;
    const racing = (context.sends.get(key ?? `resume:${request.queryId}`) ?? 0) > 1;
    const price = request.kind === 'resume' ? parkedPrice.get(request.queryId ?? '') : request.credits;
    // A replay of another request's answer is exactly what a reused key must not get.
    if (reused && reply.status !== 422) tally.problems.push(`${label}: the key was used for another request, but the answer is ${reply.status}, not 422`);
    // A replayed answer is justified by the first request's; the rest judges fresh answers.
    if (replayed) return;
    if (reply.status === 422 && !reused && !clash) tally.problems.push(`${label}: 422, but the key was not used for another request`);
    if (reply.status === 409 && !racing && !clash && !(request.kind === 'resume' && settled.has(request.queryId ?? ''))) {
      tally.problems.push(`${label}: 409 without a conflict (nothing raced it, and the query was not settled)`);
    }
    if (reply.status === 402 && context.modelled !== undefined && price !== undefined && context.modelled >= price) {
      tally.problems.push(`${label}: 402 although the modelled balance ${context.modelled} covers ${price}`);
    }
    if (key && [200, 201, 402, 500].includes(reply.status)) answeredBodies.set(key, new Set([...(answeredBodies.get(key) ?? []), body]));
    if (request.kind === 'resume' && (reply.status === 200 || reply.status === 500)) settled.add(request.queryId ?? '');
  };

  const build = (op: Op): Request | undefined => {
    switch (op.kind) {
      case 'topUp':
        return {
          kind: 'topUp',
          method: 'POST',
          path: `/v1/accounts/${accountId}/top-ups`,
          token: ADMIN_KEY,
          body: { credits: op.credits },
          idempotencyKey: `tu-${op.key}`,
          credits: op.credits,
          ackKey: `topUp:${op.key}`,
        };
      case 'debit':
        return {
          kind: 'debit',
          method: 'POST',
          path: `/v1/accounts/${accountId}/debits`,
          token: ADMIN_KEY,
          body: { credits: op.credits, operation: 'search' },
          idempotencyKey: `db-${op.key}`,
          credits: op.credits,
          ackKey: `debit:${op.key}`,
        };
      case 'query': {
        nonce++;
        const input =
          op.operation === 'search' ? { q: `${op.fail ? 'fail' : 'ok'}-${accountId}-${nonce}` } : op.operation === 'report' ? { groupBy: 'category' } : {};
        return {
          kind: 'query',
          method: 'POST',
          path: '/v1/queries',
          token: apiKey,
          body: { operation: op.operation, input },
          idempotencyKey: op.key === null ? undefined : `q-${op.key}`,
          credits: pricing.operations[op.operation] ?? Number.NaN,
          ackKey: op.key === null ? undefined : `query:${op.key}`,
        };
      }
      case 'resume': {
        const queryId = tally.parked[op.pick % Math.max(1, tally.parked.length)];
        if (!queryId) return undefined;
        return { kind: 'resume', method: 'POST', path: `/v1/queries/${queryId}/resume`, token: apiKey, credits: Number.NaN, queryId };
      }
      case 'retry':
        return keyed[op.pick % Math.max(1, keyed.length)];
    }
  };

  const account = (reply: Reply, request: Request, label: string, context: BatchContext) => {
    const replayed = reply.headers.get('idempotent-replayed') === 'true';
    tally.log.push(`${label} → ${reply.status}${replayed ? ' (replayed)' : ''}`);
    judge(reply, request, label, context, replayed);
    const remaining = reply.headers.get('credits-remaining');
    const available = reply.body?.balance?.available;
    for (const shown of [remaining === null ? undefined : Number(remaining), available]) {
      if (typeof shown === 'number' && shown < 0) tally.problems.push(`${label}: answered a negative balance ${shown}`);
    }
    const acknowledge = (credits: number) => {
      if (request.ackKey) tally.perKey.set(request.ackKey, (tally.perKey.get(request.ackKey) ?? 0) + 1);
      return credits;
    };
    const price = request.kind === 'resume' ? Number(reply.body?.charged ?? reply.body?.refunded) : request.credits;
    const refused = new Set([409, 422]);
    switch (request.kind) {
      case 'topUp':
        if (reply.status === 201 && !replayed) {
          tally.topUps += acknowledge(request.credits);
          tally.acknowledgedTopUps++;
        } else if (reply.status !== 201 && !refused.has(reply.status)) tally.problems.push(`${label}: unexpected ${reply.status} ${reply.text}`);
        return;
      case 'debit':
        if (reply.status === 201 && !replayed) {
          tally.debits += acknowledge(request.credits);
          tally.acknowledgedDebits++;
        } else if (![201, 402].includes(reply.status) && !refused.has(reply.status)) tally.problems.push(`${label}: unexpected ${reply.status} ${reply.text}`);
        return;
      case 'query':
      case 'resume': {
        if (request.kind === 'resume' && (reply.status === 200 || reply.status === 500) && request.queryId) {
          tally.perResume.set(request.queryId, (tally.perResume.get(request.queryId) ?? 0) + 1);
        }
        if (reply.status === 200 && !replayed) {
          tally.debits += acknowledge(price);
          tally.acknowledgedDebits++;
        } else if (reply.status === 500 && reply.body?.type === WORK_FAILED && !replayed) {
          tally.debits += acknowledge(price);
          tally.refunds += reply.body.refunded;
          tally.acknowledgedDebits++;
          tally.acknowledgedRefunds++;
        } else if (reply.status === 402) {
          const id = reply.body?.query?.id;
          if (request.kind === 'query' && reply.body?.query?.status === 'parked' && id && !tally.parked.includes(id)) {
            tally.parked.push(id);
            parkedPrice.set(id, request.credits);
          }
        } else if (!(reply.status === 200 || (reply.status === 500 && reply.body?.type === WORK_FAILED)) && !refused.has(reply.status)) {
          tally.problems.push(`${label}: unexpected ${reply.status} ${reply.text}`);
        }
      }
    }
  };

  for (const [b, batch] of batches.entries()) {
    const context: BatchContext = {
      modelled: batch.length === 1 ? tally.topUps - tally.debits + tally.refunds : undefined,
      sends: new Map(),
      bodies: new Map(),
    };
    const planned: { request: Request; n: number; label: string }[] = [];
    for (const [o, op] of batch.entries()) {
      const request = build(op);
      if (!request) continue;
      if (request.idempotencyKey && op.kind !== 'retry') keyed.push(request);
      // Keyless queries are new queries each time; only keyed requests are duplicated.
      const n = request.idempotencyKey || request.kind === 'resume' ? op.copies : 1;
      const raceKey = request.idempotencyKey ?? `resume:${request.queryId}`;
      context.sends.set(raceKey, (context.sends.get(raceKey) ?? 0) + n);
      if (request.idempotencyKey) {
        context.bodies.set(request.idempotencyKey, new Set([...(context.bodies.get(request.idempotencyKey) ?? []), JSON.stringify(request.body ?? null)]));
      }
      planned.push({
        request,
        n,
        label: `batch ${b} op ${o} ${request.kind} ${request.method} ${request.path} ${JSON.stringify(request.body ?? '')} key=${request.idempotencyKey ?? '-'}`,
      });
    }
    const sends: Promise<void>[] = [];
    for (const { request, n, label } of planned) {
      for (let c = 0; c < n; c++) {
        sends.push(
          call(app.url, request.method, request.path, { token: request.token, body: request.body, idempotencyKey: request.idempotencyKey }).then((reply) =>
            account(reply, request, `${label} #${c}`, context),
          ),
        );
      }
    }
    await Promise.all(sends);
  }

  const problems = tally.problems;
  const shown = await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY });
  const balance = shown.body.balance.available as number;
  const expected = tally.topUps - tally.debits + tally.refunds;
  if (balance < 0) problems.push(`balance is negative: ${balance}`);
  if (balance !== expected)
    problems.push(`balance ${balance} ≠ acknowledged top-ups ${tally.topUps} − debits ${tally.debits} + refunds ${tally.refunds} = ${expected}`);
  for (const [ackKey, count] of tally.perKey) if (count > 1) problems.push(`idempotency key ${ackKey} acknowledged as applied ${count} times`);
  for (const [queryId, count] of tally.perResume) if (count > 1) problems.push(`parked query ${queryId} ran ${count} times on resume`);
  for (const [q, count] of runs) if (q.includes(accountId) && count > 1) problems.push(`the work for ${q} ran ${count} times`);

  const entries = await fullLedger(app, accountId);
  if (deadLettered.length > 0) problems.push(`the stream consumer dead-lettered records: ${deadLettered.splice(0).join('; ')}`);
  problems.push(...ledgerProblems(entries, await storedAccount(app, accountId)));
  const count = (type: string) => entries.filter((entry) => entry.type === type).length;
  if (count('top_up') !== tally.acknowledgedTopUps) problems.push(`ledger has ${count('top_up')} top-ups, the API acknowledged ${tally.acknowledgedTopUps}`);
  if (count('debit') !== tally.acknowledgedDebits) problems.push(`ledger has ${count('debit')} debits, the API acknowledged ${tally.acknowledgedDebits}`);
  if (count('refund') !== tally.acknowledgedRefunds) problems.push(`ledger has ${count('refund')} refunds, the API acknowledged ${tally.acknowledgedRefunds}`);

  if (problems.length > 0) {
    throw new Error(`account ${accountId}, opening balance ${initial}:\n  ${problems.join('\n  ')}\nrequests:\n  ${tally.log.join('\n  ')}`);
  }
}

const initialArb = fc.integer({ min: 0, max: 40 });
// fast-check prints the seed and the shrunk counterexample on failure; rerun with { seed, path }.
const settings = { interruptAfterTimeLimit: 25_000, markInterruptAsFailure: false } as const;

describe('metering properties under generated interleavings', () => {
  it('sequential: money adds up, the ledger chains, keys and parked queries apply at most once', async () => {
    await fc.assert(
      fc.asyncProperty(initialArb, fc.array(opArb, { minLength: 1, maxLength: 14 }), (initial, ops) =>
        runScenario(
          initial,
          ops.map((op) => [op]),
        ),
      ),
      { ...settings, numRuns: 12 },
    );
  }, 90_000);

  it('concurrent batches: the same properties with requests racing each other', async () => {
    await fc.assert(fc.asyncProperty(initialArb, fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }), runScenario), {
      ...settings,
      numRuns: 12,
    });
  }, 90_000);

  it('a hot account: many keyed duplicates, resumes and failing work at once', async () => {
    const hot = fc.array(fc.array(opArb, { minLength: 6, maxLength: 10 }), { minLength: 2, maxLength: 3 });
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 60 }), hot, runScenario), { ...settings, numRuns: 6 });
  }, 90_000);
});

describe('examples the generators must keep covering', () => {
  it('a parked, keyed query resumed by racing clients while its original request is retried', async () => {
    await runScenario(5, [
      [{ kind: 'query', operation: 'report', fail: false, key: 0, copies: 1 }],
      [{ kind: 'topUp', credits: 30, key: 0, copies: 2 }],
      [
        { kind: 'resume', pick: 0, copies: 3 },
        { kind: 'retry', pick: 0, copies: 2 },
      ],
    ]);
  });

  it('spending exactly the balance is not refused, and a key reused for another amount is a 422', async () => {
    await runScenario(10, [
      [{ kind: 'query', operation: 'report', fail: false, key: null, copies: 1 }],
      [{ kind: 'topUp', credits: 7, key: 2, copies: 1 }],
      [{ kind: 'debit', credits: 7, key: 2, copies: 1 }],
      [{ kind: 'topUp', credits: 8, key: 2, copies: 1 }],
    ]);
  });

  it('a failing query resumed after a top-up is refunded once', async () => {
    await runScenario(0, [
      [{ kind: 'query', operation: 'search', fail: true, key: null, copies: 1 }],
      [{ kind: 'topUp', credits: 3, key: 1, copies: 1 }],
      [{ kind: 'resume', pick: 0, copies: 3 }],
    ]);
  });
});

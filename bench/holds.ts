import { type CallRecord, describeCalls, type Meter } from './instrument.ts';

/** What the holds measurement needs from the bench: one customer's requests and the instrumented calls. */
export interface HoldsDeps {
  meter: Meter;
  /** Sends a request as the customer (POST with a JSON body). */
  post: (path: string, body: unknown) => Promise<{ status: number; text: string }>;
  /** Lets the stream consumer project what the requests wrote (its calls are counted as `stream`). */
  drain: () => Promise<void>;
  samples: number;
}

/** Units and round trips of one step, averaged over the samples. */
export interface StepUnits {
  roundTrips: number;
  wru: number;
  rru: number;
  calls: string;
}

export interface HoldsResult {
  hold: StepUnits;
  settle: StepUnits;
  /** The stream's ledger writes for both steps (a `hold` and a `settle` entry). */
  stream: StepUnits;
  total: { roundTrips: number; wru: number; rru: number };
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Work priced afterwards (issue 18): `POST /v1/holds` with an estimate, then
 * `POST /v1/holds/{id}/settle` with the actual price, sequentially, every call sized by AWS's
 * billing rules like the metered request's (the bench's `meter.billing`).
 */
export async function measureHolds(deps: HoldsDeps): Promise<HoldsResult> {
  const { meter, samples } = deps;
  meter.calls.length = 0;
  meter.billing = true;
  const steps: { hold: CallRecord[]; settle: CallRecord[] } = { hold: [], settle: [] };
  const requestCalls = (from: number) => meter.calls.slice(from).filter((c) => c.design === 'tollgate' && c.source === 'request');
  try {
    for (let i = 0; i < samples; i++) {
      let from = meter.calls.length;
      const held = await deps.post('/v1/holds', { operation: 'search', credits: 5, expiresIn: 'PT5M' });
      if (held.status !== 201) throw new Error(`hold: ${held.status} ${held.text}`);
      steps.hold.push(...requestCalls(from));
      from = meter.calls.length;
      const settled = await deps.post(`/v1/holds/${JSON.parse(held.text).id}/settle`, { credits: 3 });
      if (settled.status !== 200) throw new Error(`settle: ${settled.status} ${settled.text}`);
      steps.settle.push(...requestCalls(from));
    }
    await deps.drain();
  } finally {
    meter.billing = false;
  }
  const stream = meter.calls.filter((c) => c.design === 'tollgate' && c.source === 'stream');
  const per = (calls: CallRecord[]): StepUnits => {
    const sum = (pick: (c: CallRecord) => number) => round(calls.reduce((total, c) => total + pick(c), 0) / samples);
    return {
      roundTrips: sum((c) => c.attempts),
      wru: sum((c) => c.wru),
      rru: sum((c) => c.rru),
      calls: describeCalls(calls, samples),
    };
  };
  const result = { hold: per(steps.hold), settle: per(steps.settle), stream: per(stream) };
  return {
    ...result,
    total: {
      roundTrips: round(result.hold.roundTrips + result.settle.roundTrips),
      wru: round(result.hold.wru + result.settle.wru + result.stream.wru),
      rru: round(result.hold.rru + result.settle.rru + result.stream.rru),
    },
  };
}

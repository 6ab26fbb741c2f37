import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmailSender, sesSender } from '../../functions/alerts/ses-sender.ts';
import { type BatchPut, sharedBatchPut } from '../../functions/metering/ledger-store.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { createStreamHandler } from '../../functions/streams/handler.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';
import { pricing } from '../support/prices.ts';

// The app's poller hands every batch to this recorder instead of the consumer, so the test
// decides what the real consumer sees: one batch holding several accounts' records.
const captured: DynamoDBRecord[] = [];
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    stream: () => async (event) => {
      captured.push(...event.Records);
      return { batchItemFailures: [] };
    },
  });
});
afterAll(() => app.stop());

const debit = (accountId: string, credits: number) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/debits`, { token: ADMIN_KEY, body: { credits, operation: 'ingest' }, idempotencyKey: `d-${Math.random()}` });
const ledger = async (accountId: string) =>
  (await call(app.url, 'GET', `/v1/accounts/${accountId}/ledger?limit=100`, { token: ADMIN_KEY })).body.entries.map(
    (e: { balanceAfter: number }) => e.balanceAfter,
  );
const accountIdOf = (record: DynamoDBRecord) => record.dynamodb?.NewImage?.id?.S ?? record.dynamodb?.NewImage?.accountId?.S;

describe('the stream consumer, one batch across accounts', () => {
  it('an account whose step fails is retried from its first record alone; the others are projected once', async () => {
    const [a, b] = [newAddress(), newAddress()];
    const alice = await newCustomer(app.url, 100, undefined, a);
    const bob = await newCustomer(app.url, 100, undefined, b);
    for (const credits of [30, 30]) {
      await debit(alice.accountId, credits);
      await debit(bob.accountId, credits);
    }
    await app.settle();
    const batch = captured.filter((record) => [alice.accountId, bob.accountId].includes(accountIdOf(record) ?? ''));

    // A stand-in for SES failing for one recipient only (the local endpoint cannot fail selectively).
    const real = sesSender();
    const downForAlice: EmailSender = {
      send: (to, email, tags) =>
        to === a ? Promise.reject(Object.assign(new Error('SES unavailable'), { name: 'ServiceUnavailable' })) : real.send(to, email, tags),
    };
    const first = await createStreamHandler({ sender: downForAlice, clock: systemClock, pricing })({ Records: batch });
    const aliceFirst = batch.find((record) => accountIdOf(record) === alice.accountId);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: aliceFirst?.dynamodb?.SequenceNumber }]);
    expect(await ledger(bob.accountId)).toEqual([40, 70, 100]);
    expect(await mailTo(b)).toHaveLength(1);
    expect(await mailTo(a)).toHaveLength(0);

    // Lambda retries from the earliest failure: Bob's later records come again and change nothing.
    const retry = batch.slice(batch.indexOf(aliceFirst as DynamoDBRecord));
    const second = await createStreamHandler({ sender: real, clock: systemClock, pricing })({ Records: retry });
    expect(second.batchItemFailures).toEqual([]);
    expect(await ledger(alice.accountId)).toEqual([40, 70, 100]);
    expect((await mailTo(a)).map((m) => m.subject)).toEqual(['Heads up: 40 credits left (50% of your last top-up)']);
    expect(await mailTo(b)).toHaveLength(1);
  });

  it('a threshold email does not wait for the ledger write, and counts the entries still being written', async () => {
    const address = newAddress();
    const carol = await newCustomer(app.url, 100, undefined, address);
    await debit(carol.accountId, 30);
    await debit(carol.accountId, 30);
    await app.settle();
    const batch = captured.filter((record) => accountIdOf(record) === carol.accountId);

    // The ledger writes are held back until the test opens the gate.
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const heldBack = (): BatchPut => {
      const real = sharedBatchPut();
      return async (requests) => {
        await gate;
        await real(requests);
      };
    };
    const handled = createStreamHandler({ sender: sesSender(), clock: systemClock, pricing }, heldBack)({ Records: batch });
    try {
      await expect.poll(() => mailTo(address), { timeout: 15_000 }).toHaveLength(1);
      expect(await ledger(carol.accountId)).toEqual([]);
      const [mail] = await mailTo(address);
      expect(mail?.body.text).toContain('60 credits');
    } finally {
      open();
    }
    expect((await handled).batchItemFailures).toEqual([]);
    expect(await ledger(carol.accountId)).toEqual([40, 70, 100]);
  });
});

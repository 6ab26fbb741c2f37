import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../functions/shared/clock.ts';
import { deliverPending } from '../../functions/webhooks/deliver.ts';
import { type EventType, webhookEventSchema } from '../../functions/webhooks/events.ts';
import { type DeliveryMessage, useLocalDeliveryQueue } from '../../functions/webhooks/queue.ts';
import { workOn } from '../../functions/webhooks/worker.ts';
import type { StreamLambda } from '../../local/stream-poller.ts';
import { LocalDeliveryQueue } from '../../local/webhook-queue.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

/** What the receiver was sent: every attempt, verified or not. */
interface Received {
  headers: Record<string, string>;
  body: string;
  event: { id: string; type: EventType; data: { accountId: string } & Record<string, unknown> };
  verified: boolean;
}

/** A real HTTP receiver on this machine. `answer` decides each response (a status, or a promise that holds it). */
class Receiver {
  readonly received: Received[] = [];
  secret = '';
  answer: (attempt: number) => number | Promise<number> = () => 204;
  private readonly server: Server;
  private waiters: (() => void)[] = [];

  constructor() {
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
    let verified = false;
    try {
      new Webhook(this.secret).verify(body, headers);
      verified = true;
    } catch {}
    this.received.push({ headers, body, event: JSON.parse(body), verified });
    for (const wake of this.waiters.splice(0)) wake();
    const status = await this.answer(this.received.length);
    response.writeHead(status).end();
  }

  /** Attempts about one account. */
  of(accountId: string): Received[] {
    return this.received.filter((r) => r.event.data.accountId === accountId);
  }

  /** Waits (on arrivals, not on a clock) until `done` holds; fails after a generous bound. */
  async until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`receiver: still waiting for ${what}; got ${this.received.map((r) => r.event.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let app: TestApp;
let realStream: StreamLambda;
const batches: DynamoDBStreamEvent[] = [];
const receiver = new Receiver();
let receiverUrl: string;
/** Endpoints whose messages the in-process queue leaves alone (a test drives their worker itself). */
const manual = new Set<string>();
let queue: LocalDeliveryQueue;

beforeAll(async () => {
  // Backoff from 20 ms instead of 5 s: five failures are retried in well under a second.
  Object.assign(process.env, { WEBHOOK_ALLOW_LOOPBACK_HTTP: 'on', WEBHOOK_RETRY_BASE_MS: '20' });
  app = await startTestApp({
    stream: (real) => {
      realStream = real;
      return async (event) => {
        batches.push(structuredClone(event));
        return real(event);
      };
    },
  });
  queue = new LocalDeliveryQueue(async (message: DeliveryMessage, q) => {
    if (!manual.has(message.endpointId)) await workOn(message, q, { clock: systemClock });
  });
  useLocalDeliveryQueue(queue);
  receiverUrl = await receiver.start();
});

afterAll(async () => {
  await queue.stop();
  useLocalDeliveryQueue(undefined);
  await receiver.stop();
  await app.stop();
});

// Each test registers its own endpoint; none outlives it (they would all send to the one receiver).
afterEach(async () => {
  receiver.answer = () => 204;
  const { endpoints } = (await call(app.url, 'GET', '/v1/webhook-endpoints', { token: ADMIN_KEY })).body;
  for (const endpoint of endpoints) await unregister(endpoint.id);
});

async function register(body: Record<string, unknown> = {}) {
  const reply = await call(app.url, 'POST', '/v1/webhook-endpoints', { token: ADMIN_KEY, body: { url: receiverUrl, ...body } });
  expect(reply.status).toBe(201);
  receiver.secret = reply.body.secret;
  return reply.body as { id: string; secret: string };
}
const unregister = async (id: string) => expect((await call(app.url, 'DELETE', `/v1/webhook-endpoints/${id}`, { token: ADMIN_KEY })).status).toBe(204);
const deliveriesOf = async (id: string) =>
  (await call(app.url, 'GET', `/v1/webhook-endpoints/${id}/deliveries`, { token: ADMIN_KEY })).body.deliveries as any[];
const query = (apiKey: string, operation = 'report') => call(app.url, 'POST', '/v1/queries', { token: apiKey, body: { operation, input: {} } });
const topUp = (accountId: string, credits: number, key: string) =>
  call(app.url, 'POST', `/v1/accounts/${accountId}/top-ups`, { token: ADMIN_KEY, body: { credits }, idempotencyKey: key });

describe('webhook endpoints (admin API)', () => {
  it('shows the whsec_ secret only in the answer to POST, and never in reads', async () => {
    const created = await register({ events: ['balance.depleted'] });
    expect(created).toMatchObject({ url: receiverUrl, events: ['balance.depleted'], enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    const list = await call(app.url, 'GET', '/v1/webhook-endpoints', { token: ADMIN_KEY });
    const one = await call(app.url, 'GET', `/v1/webhook-endpoints/${created.id}`, { token: ADMIN_KEY });
    expect(list.text).not.toContain(created.secret);
    expect(one.body).not.toHaveProperty('secret');
    const patched = await call(app.url, 'PATCH', `/v1/webhook-endpoints/${created.id}`, { token: ADMIN_KEY, body: { events: [] } });
    expect(patched.body).toMatchObject({ events: [], enabled: true });
    await unregister(created.id);
    expect((await call(app.url, 'GET', `/v1/webhook-endpoints/${created.id}`, { token: ADMIN_KEY })).status).toBe(404);
  });

  it.each([
    [{ url: 'http://example.com/hooks' }, 'body.url'],
    [{ url: 'ftp://127.0.0.1/hooks' }, 'body.url'],
    [{ url: 'https://user:pw@example.com/' }, 'body.url'],
    [{ url: 'https://example.com/', events: ['balance.drained'] }, 'body.events.0'],
    [{ url: 'https://example.com/', secret: 'whsec_mine' }, 'body'],
  ])('refuses %j with a problem naming %s', async (body, path) => {
    const reply = await call(app.url, 'POST', '/v1/webhook-endpoints', { token: ADMIN_KEY, body });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(reply.body.errors)).toContain(path);
  });

  it('is admin only', async () => {
    const { apiKey } = await newCustomer(app.url);
    expect((await call(app.url, 'GET', '/v1/webhook-endpoints', { token: apiKey })).status).toBe(403);
  });
});

describe('webhook delivery', () => {
  it('sends a registered endpoint a signed balance.depleted after a customer’s first 402, once per episode', async () => {
    await register();
    const { accountId, apiKey } = await newCustomer(app.url, 10);
    expect((await query(apiKey, 'export')).status).toBe(402);
    expect((await query(apiKey, 'export')).status).toBe(402);
    await app.settle();
    await topUp(accountId, 500, `wh-recover-${accountId}`);
    await app.settle();
    await receiver.until(() => receiver.of(accountId).some((r) => r.event.type === 'episode.recovered'), 'episode.recovered');

    const events = receiver.of(accountId);
    expect(events.every((r) => r.verified)).toBe(true);
    expect(events.map((r) => r.event.type)).toEqual([
      'topup.completed',
      'query.parked',
      'balance.depleted',
      'query.parked',
      'topup.completed',
      'episode.recovered',
    ]);
    const depleted = webhookEventSchema('balance.depleted').parse(events[2]?.event);
    expect(depleted.data).toMatchObject({ accountId, operation: 'export', balance: 10, shortfall: depleted.data.price - 10 });
    expect(depleted.data.queryId).toBe(events[1]?.event.data.queryId);
    expect(events[2]?.headers['webhook-id']).toBe(depleted.id);
    const recovered = webhookEventSchema('episode.recovered').parse(events[5]?.event);
    expect(recovered.data.depletedAt).toBe(depleted.timestamp);
  });

  it('keeps the id on redelivery: a replayed stream batch sends nothing new, a retried delivery the same id and body', async () => {
    const endpoint = await register({ events: ['topup.completed'] });
    const { accountId } = await newCustomer(app.url, 40);
    await app.settle();
    await receiver.until(() => receiver.of(accountId).length === 1, 'the top-up');
    const first = receiver.of(accountId)[0] as Received;

    // The stream delivers the same records again (Lambda retries, bisection): same events, no new delivery.
    const seen = batches.filter((batch) => JSON.stringify(batch).includes(accountId));
    for (const batch of seen) await realStream(batch);
    expect(await deliveriesOf(endpoint.id)).toHaveLength(1);

    const [delivery] = await deliveriesOf(endpoint.id);
    const retry = await call(app.url, 'POST', `/v1/webhook-endpoints/${endpoint.id}/deliveries/${delivery.id}/retry`, { token: ADMIN_KEY });
    expect(retry.status).toBe(202);
    await receiver.until(() => receiver.of(accountId).length === 2, 'the retried delivery');
    const again = receiver.of(accountId)[1] as Received;
    expect(again.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(again.body).toBe(first.body);
    expect(again.verified).toBe(true);
  });

  it('retries a receiver that fails 5 times, then delivers every event once it is up, in order per account', async () => {
    const endpoint = await register();
    const { accountId, apiKey } = await newCustomer(app.url, 100);
    const before = receiver.received.length;
    receiver.answer = (attempt) => (attempt - before <= 5 ? 503 : 204);
    for (const operation of ['report', 'export', 'report', 'export']) expect((await query(apiKey, operation)).status).toBe(200);
    await app.settle();
    await topUp(accountId, 50, `wh-order-${accountId}`);
    await app.settle();
    const topUpsAccepted = () =>
      new Set(
        receiver
          .of(accountId)
          .filter((r) => r.event.type === 'topup.completed')
          .map((r) => r.event.id),
      ).size;
    await receiver.until(() => topUpsAccepted() === 2, 'the last top-up');

    const attempts = receiver.of(accountId);
    // The first event was tried six times with the same id; nothing after it went out meanwhile.
    expect(attempts.slice(0, 6).map((r) => r.headers['webhook-id'])).toEqual(Array(6).fill(attempts[0]?.headers['webhook-id']));
    const accepted = attempts.slice(5);
    expect(new Set(accepted.map((r) => r.event.id)).size).toBe(accepted.length);
    const deliveries = (await deliveriesOf(endpoint.id)).filter((d) => d.accountId === accountId);
    expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
    expect(deliveries.find((d) => d.eventId === attempts[0]?.event.id)).toMatchObject({ attempts: 6, lastStatusCode: 503 });
    // In order: the account's deliveries, sorted by their stream order, are what the receiver accepted.
    const byOrder = [...deliveries].reverse().map((d) => d.eventId);
    expect(accepted.map((r) => r.event.id)).toEqual(byOrder);
    expect(accepted.map((r) => r.event.type)).toEqual(['topup.completed', 'balance.threshold_crossed', 'topup.completed']);
  });

  it('never puts a slow receiver in a metered request’s way', async () => {
    await register();
    const { apiKey } = await newCustomer(app.url, 1000);
    let release!: () => void;
    const held = new Promise<number>((resolve) => {
      release = () => resolve(204);
    });
    receiver.answer = () => held;
    const before = receiver.received.length;
    expect((await query(apiKey, 'report')).status).toBe(200);
    await app.settle();
    await receiver.until(() => receiver.received.length > before, 'a held delivery');
    // The receiver holds its answer; metered requests still answer, with the delivery unanswered.
    for (let i = 0; i < 5; i++) expect((await query(apiKey, 'report')).status).toBe(200);
    expect(receiver.received.length).toBe(before + 1);
    release();
  });

  it('disables an endpoint that keeps failing for the disable period, says why in the API, and sends again once enabled', async () => {
    const endpoint = await register({ events: ['topup.completed'] });
    manual.add(endpoint.id); // this test drives the worker itself, with its own clock
    const { accountId } = await newCustomer(app.url, 40);
    await app.settle();
    receiver.answer = () => 500;
    let now = new Date();
    const clock: Clock = { now: () => now };
    const policy = { baseMs: 20, windowHours: 26, disableAfterHours: 1 };
    await deliverPending(endpoint.id, accountId, { clock, policy });
    expect((await call(app.url, 'GET', `/v1/webhook-endpoints/${endpoint.id}`, { token: ADMIN_KEY })).body.enabled).toBe(true);
    now = new Date(now.getTime() + 3_600_000);
    await deliverPending(endpoint.id, accountId, { clock, policy });
    const disabled = (await call(app.url, 'GET', `/v1/webhook-endpoints/${endpoint.id}`, { token: ADMIN_KEY })).body;
    expect(disabled).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/failed .*disabled after 1 h/) });
    const [pending] = await deliveriesOf(endpoint.id);
    expect(pending).toMatchObject({ status: 'pending', attempts: 2, lastStatusCode: 500, lastError: 'The endpoint answered 500.' });
    // Disabled: no attempt at all.
    const attempts = receiver.of(accountId).length;
    now = new Date(now.getTime() + 3_600_000);
    await deliverPending(endpoint.id, accountId, { clock, policy });
    expect(receiver.of(accountId)).toHaveLength(attempts);

    receiver.answer = () => 204;
    const enabled = await call(app.url, 'PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { token: ADMIN_KEY, body: { enabled: true } });
    expect(enabled.body).toEqual(expect.not.objectContaining({ disabledReason: expect.anything() }));
    await deliverPending(endpoint.id, accountId, { clock, policy });
    expect((await deliveriesOf(endpoint.id))[0]).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('signs with the old and the new secret during a rotation’s overlap, and tells a resumed query', async () => {
    const endpoint = await register({ events: ['query.resumed'] });
    const oldSecret = endpoint.secret;
    const { accountId, apiKey } = await newCustomer(app.url, 10);
    const parked = await query(apiKey, 'export');
    expect(parked.status).toBe(402);
    await topUp(accountId, 100, `wh-rotate-${accountId}`);
    const rotated = await call(app.url, 'POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { token: ADMIN_KEY });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(oldSecret);
    receiver.secret = rotated.body.secret;
    expect((await call(app.url, 'POST', `/v1/queries/${parked.body.query.id}/resume`, { token: apiKey })).status).toBe(200);
    await app.settle();
    await receiver.until(() => receiver.of(accountId).length === 1, 'query.resumed');
    const delivery = receiver.of(accountId)[0] as Received;
    expect(delivery.event).toMatchObject({ type: 'query.resumed', data: { queryId: parked.body.query.id, operation: 'export', credits: 25 } });
    expect(delivery.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(rotated.body.secret).verify(delivery.body, delivery.headers)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(delivery.body, delivery.headers)).not.toThrow();
  });
});

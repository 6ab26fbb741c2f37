import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { de } from '../../functions/copy/catalogue/de.ts';
import { assignVariant, CONTROL, experimentProblems } from '../../functions/copy/variants.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call } from '../support/http.ts';
import { newAddress } from '../support/inbox.ts';

describe('assignVariant', () => {
  const experiment = { id: 'exp_1', enabled: true, variants: { b: { messages: {}, weight: 50 }, c: { messages: {}, weight: 25 } } };
  const accounts = Array.from({ length: 4000 }, (_, i) => `acc_${String(i).padStart(16, '0')}`);

  it('is deterministic, and splits accounts by the weights', () => {
    const counts = new Map<string, number>();
    for (const id of accounts) {
      const variant = assignVariant(id, experiment);
      expect(assignVariant(id, experiment)).toBe(variant);
      counts.set(variant, (counts.get(variant) ?? 0) + 1);
    }
    expect((counts.get('b') ?? 0) / accounts.length).toBeCloseTo(0.5, 1);
    expect((counts.get('c') ?? 0) / accounts.length).toBeCloseTo(0.25, 1);
    expect((counts.get(CONTROL) ?? 0) / accounts.length).toBeCloseTo(0.25, 1);
  });

  it('depends on the experiment, and gives everyone the base copy when it is off', () => {
    const other = accounts.filter((id) => assignVariant(id, experiment) !== assignVariant(id, { ...experiment, id: 'exp_2' }));
    expect(other.length).toBeGreaterThan(accounts.length / 4);
    expect(new Set(accounts.map((id) => assignVariant(id, { ...experiment, enabled: false })))).toEqual(new Set([CONTROL]));
  });

  it('refuses more than 4 variants and weights over 100', () => {
    const v = (weight: number) => ({ messages: {}, weight });
    expect(experimentProblems({ a: v(60), b: v(50) })).toEqual(["the variants' weights add up to 110; at most 100 (the rest get the base copy)"]);
    expect(experimentProblems({ a: v(1), b: v(1), c: v(1), d: v(1), e: v(1) })).toEqual(['at most 4 variants, not 5']);
  });
});

let app: TestApp;
beforeAll(async () => {
  process.env.COPY_CACHE_TTL_SECONDS = '0';
  app = await startTestApp();
});
afterAll(() => app.stop());

const admin = (method: string, path: string, body?: unknown) => call(app.url, method, path, { token: ADMIN_KEY, body });
const VARIANT_TITLE = 'Schon alle Credits verbraucht? So geht es weiter.';

async function germanCustomer() {
  const account = await admin('POST', '/v1/accounts', { name: 'Kunde', email: newAddress(), locale: 'de' });
  const id = account.body.id as string;
  const key = await admin('POST', `/v1/accounts/${id}/keys`, { name: 'k' });
  await call(app.url, 'POST', `/v1/accounts/${id}/top-ups`, { token: ADMIN_KEY, body: { credits: 3 }, idempotencyKey: `t-${id}` });
  return { id, apiKey: key.body.key as string };
}
const refuse = (apiKey: string) => call(app.url, 'POST', '/v1/queries', { token: apiKey, body: { operation: 'report' }, idempotencyKey: `q-${Math.random()}` });

async function episodeItem(accountId: string) {
  const { Items = [] } = await app.client.send(
    new QueryCommand({
      TableName: app.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :alerts)',
      ExpressionAttributeValues: { ':pk': { S: `ACCOUNT#${accountId}` }, ':alerts': { S: 'ALERTS#' } },
    }),
  );
  return Items.map((item) => unmarshall(item));
}

describe('copy variants', () => {
  it('refuses bad variants with a 400 naming the problem', async () => {
    expect((await admin('PUT', '/v1/copy/de/variants/control', { messages: {}, weight: 10 })).status).toBe(400);
    const unknown = await admin('PUT', '/v1/copy/de/variants/b', { messages: { 'insufficientCredits.title': 'Hallo {name}' }, weight: 10 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toContain('unknown placeholder {name}');
    expect((await admin('PUT', '/v1/copy/de/variants/b', { messages: {}, weight: 101 })).status).toBe(400);
    expect((await admin('GET', '/v1/copy/de/variants')).body).toMatchObject({ enabled: false, variants: {}, controlWeight: 100 });
  });

  it('an account gets its variant for the whole episode, recorded on the episode item; switching off returns everyone to the base copy', async () => {
    const put = await admin('PUT', '/v1/copy/de/variants/b', { messages: { 'insufficientCredits.title': VARIANT_TITLE }, weight: 50, author: 'marketing' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ enabled: true, controlWeight: 50, updatedBy: 'marketing', variants: { b: { weight: 50 } } });
    const tooMuch = await admin('PUT', '/v1/copy/de/variants/c', { messages: {}, weight: 51 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.detail).toContain('add up to 101');

    const customers = await Promise.all(Array.from({ length: 8 }, germanCustomer));
    const shown = new Map<string, string>();
    for (const c of customers) {
      const reply = await refuse(c.apiKey);
      expect(reply.status).toBe(402);
      expect([VARIANT_TITLE, de['insufficientCredits.title']]).toContain(reply.body.title);
      const [episode] = await episodeItem(c.id);
      expect(episode?.copyVariant).toBe(reply.body.title === VARIANT_TITLE ? 'b' : CONTROL);
      expect(episode?.copyExperiment).toBe(put.body.id);
      shown.set(c.id, reply.body.title);
    }
    // Each account's side is the hash of the experiment and the account, as documented.
    const experiment = { id: put.body.id as string, enabled: true, variants: { b: { messages: {}, weight: 50 } } };
    for (const c of customers) expect(shown.get(c.id)).toBe(assignVariant(c.id, experiment) === 'b' ? VARIANT_TITLE : de['insufficientCredits.title']);

    // Sticky: new weights do not move an account within its episode.
    expect((await admin('PUT', '/v1/copy/de/variants/b', { messages: { 'insufficientCredits.title': VARIANT_TITLE }, weight: 100 })).status).toBe(200);
    for (const c of customers) expect((await refuse(c.apiKey)).body.title).toBe(shown.get(c.id));

    // Off: everyone reads the base copy again.
    const off = await admin('PUT', '/v1/copy/de/experiment', { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, controlWeight: 100 });
    for (const c of customers) expect((await refuse(c.apiKey)).body.title).toBe(de['insufficientCredits.title']);

    // On again: a new experiment, assigned afresh (at 100 % everyone gets the variant).
    const on = await admin('PUT', '/v1/copy/de/experiment', { enabled: true });
    expect(on.body.id).not.toBe(put.body.id);
    for (const c of customers.slice(0, 3)) {
      expect((await refuse(c.apiKey)).body.title).toBe(VARIANT_TITLE);
      expect((await episodeItem(c.id))[0]).toMatchObject({ copyVariant: 'b', copyExperiment: on.body.id });
    }
    expect((await admin('DELETE', '/v1/copy/de/variants/b')).body.variants).toEqual({});
    expect((await admin('DELETE', '/v1/copy/de/variants/b')).status).toBe(404);
  });
});

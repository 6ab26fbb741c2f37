import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedOverrides, forgetOverrides } from '../../functions/copy/cache.ts';
import { de } from '../../functions/copy/catalogue/de.ts';
import { en } from '../../functions/copy/catalogue/en.ts';
import { saveVersion } from '../../functions/copy/store.ts';
import { resetConfig } from '../../functions/shared/config.ts';
import { ADMIN_KEY, startTestApp, type TestApp, tableSnapshot } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

let app: TestApp;
beforeAll(async () => {
  // The functions re-read overrides on every request here; the 60 s default is tested below with an injected time.
  process.env.COPY_CACHE_TTL_SECONDS = '0';
  app = await startTestApp();
});
afterAll(() => app.stop());

const admin = (method: string, path: string, body?: unknown) => call(app.url, method, path, { token: ADMIN_KEY, body });
const refuse = (apiKey: string, language: string) =>
  call(app.url, 'POST', '/v1/queries', {
    token: apiKey,
    body: { operation: 'report' },
    headers: { 'Accept-Language': language },
    idempotencyKey: `q-${Math.random()}`,
  });

describe('copy overrides', () => {
  it('GET shows every key with its default and no override at first', async () => {
    const reply = await admin('GET', '/v1/copy/de');
    expect(reply.status).toBe(200);
    expect(reply.body.version).toBe(0);
    expect(Object.keys(reply.body.messages)).toEqual(Object.keys(en));
    expect(reply.body.messages['insufficientCredits.title']).toEqual({ default: de['insufficientCredits.title'], placeholders: [] });
    expect(reply.body.messages['insufficientCredits.detail'].placeholders).toEqual(['shortfall', 'outcome', 'subject?', 'required?', 'available?']);
  });

  it.each([
    [{ 'insufficientCredits.detail': 'Es fehlen {shortfall}. {outcome} {preis}' }, 'unknown placeholder {preis}'],
    [{ 'insufficientCredits.detail': 'Kein Guthaben. {outcome}' }, 'the required placeholder {shortfall} is missing'],
    [{ 'insufficientCredits.titel': 'Hallo' }, '"insufficientCredits.titel" is not a message key'],
    [{ 'insufficientCredits.title': '' }, 'the template is empty'],
  ])('refuses %j with a 400 naming the problem, and changes nothing', async (messages, problem) => {
    const before = await tableSnapshot(app);
    const reply = await admin('PUT', '/v1/copy/de', { messages });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body.detail).toContain(problem);
    expect(await tableSnapshot(app)).toBe(before);
  });

  it('refuses an unknown locale, and customers (403)', async () => {
    expect((await admin('GET', '/v1/copy/es')).status).toBe(400);
    const c = await newCustomer(app.url);
    expect((await call(app.url, 'PUT', '/v1/copy/de', { token: c.apiKey, body: { messages: {} } })).status).toBe(403);
  });

  it('a change reaches the next 402; versions keep who and when; a restore brings an old version back', async () => {
    const c = await newCustomer(app.url, 3);
    const first = await admin('PUT', '/v1/copy/de', {
      messages: { 'insufficientCredits.title': 'Schon alle? Hier geht es weiter.', 'insufficientCredits.detail': 'Ihnen fehlen {shortfall}. {outcome}' },
      author: 'marketing@example.com',
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ version: 1, updatedBy: 'marketing@example.com' });
    expect(first.body.messages['insufficientCredits.title'].override).toBe('Schon alle? Hier geht es weiter.');

    const german = await refuse(c.apiKey, 'de');
    expect(german.body.title).toBe('Schon alle? Hier geht es weiter.');
    expect(german.body.detail).toMatch(/^Ihnen fehlen 7 Credits\. Wir haben Ihre Abfrage aufbewahrt/);
    expect(german.body.message).toBe(german.body.detail);
    expect((await refuse(c.apiKey, 'en')).body.title).toBe(en['insufficientCredits.title']);

    expect((await admin('PUT', '/v1/copy/de', { messages: { 'insufficientCredits.title': 'Zweiter Versuch' } })).body.version).toBe(2);
    expect((await refuse(c.apiKey, 'de')).body.title).toBe('Zweiter Versuch');

    const history = await admin('GET', '/v1/copy/de/versions');
    expect(history.body.versions.map((v: { version: number; by: string; action: string }) => [v.version, v.by, v.action])).toEqual([
      [2, 'admin', 'put'],
      [1, 'marketing@example.com', 'put'],
    ]);
    expect(history.body.versions[0].at).toMatch(/^\d{4}-/);

    const restored = await admin('POST', '/v1/copy/de/versions/1/restore', { author: 'lead@example.com' });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ version: 3, updatedBy: 'lead@example.com' });
    expect((await refuse(c.apiKey, 'de')).body.title).toBe('Schon alle? Hier geht es weiter.');
    expect((await admin('GET', '/v1/copy/de/versions')).body.versions[0]).toMatchObject({ version: 3, action: 'restore', restoredFrom: 1 });
    expect((await admin('POST', '/v1/copy/de/versions/9/restore', {})).status).toBe(404);

    // Back to the defaults: an empty set of overrides.
    expect((await admin('PUT', '/v1/copy/de', { messages: {} })).body.version).toBe(4);
    expect((await refuse(c.apiKey, 'de')).body.title).toBe(de['insufficientCredits.title']);
  });

  it('an override that no longer renders falls back to the default copy, never breaking the 402', async () => {
    // Written past the API's validation, as a template saved before a placeholder was retired would be.
    await saveVersion(
      { locale: 'fr', version: 1, messages: { 'insufficientCredits.title': 'Bonjour {nom}' }, by: 'test', at: new Date().toISOString(), action: 'put' },
      0,
    );
    const c = await newCustomer(app.url, 3);
    const reply = await refuse(c.apiKey, 'fr');
    expect(reply.status).toBe(402);
    expect(reply.body.title).toBe('Vous n’avez plus de crédits — vous en attendiez davantage ?');
  });
});

describe('cachedOverrides', () => {
  it('reads the table at most once per TTL (60 s by default)', async () => {
    // Earlier tests' emails are still being made by the stream consumer in this process, and read the cache at the real
    // time: let them finish, so only this test's injected clock touches it.
    await app.settle();
    process.env.COPY_CACHE_TTL_SECONDS = '60';
    resetConfig();
    try {
      forgetOverrides();
      const t0 = 1_000_000;
      const before = await cachedOverrides('en', t0);
      await saveVersion(
        { locale: 'en', version: 1, messages: { 'insufficientCredits.title': 'Cached?' }, by: 'test', at: new Date().toISOString(), action: 'put' },
        0,
      );
      expect(await cachedOverrides('en', t0 + 59_999)).toBe(before);
      expect(await cachedOverrides('en', t0 + 60_000)).toEqual({ 'insufficientCredits.title': 'Cached?' });
    } finally {
      process.env.COPY_CACHE_TTL_SECONDS = '0';
      resetConfig();
    }
  });
});

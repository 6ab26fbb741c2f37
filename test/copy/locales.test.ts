import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHeader } from '../../functions/alerts/ses-sender.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const setLocale = (accountId: string, locale: unknown) => call(app.url, 'PATCH', `/v1/accounts/${accountId}`, { token: ADMIN_KEY, body: { locale } });
const report = (apiKey: string, headers: Record<string, string> = {}) =>
  call(app.url, 'POST', '/v1/queries', { token: apiKey, body: { operation: 'report' }, headers, idempotencyKey: `q-${Math.random()}` });

describe('locales', () => {
  it('the 402 answers in the best match of Accept-Language, else the account locale, else English', async () => {
    const c = await newCustomer(app.url, 3);
    const french = await report(c.apiKey, { 'Accept-Language': 'es, fr-CA;q=0.8, en;q=0.5' });
    expect(french.status).toBe(402);
    expect(french.headers.get('content-language')).toBe('fr');
    expect(french.body.title).toBe('Vous n’avez plus de crédits — vous en attendiez davantage ?');
    expect(french.body.detail).toContain('il manque 7 crédits');
    expect(french.body.message).toBe(french.body.detail);
    expect(french.body.actions[0].label).toBe('Voir où sont allés vos crédits');

    const english = await report(c.apiKey);
    expect(english.headers.get('content-language')).toBe('en');
    expect(english.body.detail).toContain("it's 7 credits short");

    expect((await setLocale(c.accountId, 'de')).body.locale).toBe('de');
    const german = await report(c.apiKey, { 'Accept-Language': 'ja' });
    expect(german.headers.get('content-language')).toBe('de');
    expect(german.body.detail).toContain('es fehlen also 7 Credits');
  });

  it('an account is created with a locale, which its emails use (no raw timestamps), from a named sender', async () => {
    const email = newAddress();
    const created = await call(app.url, 'POST', '/v1/accounts', { token: ADMIN_KEY, body: { name: 'Müller GmbH', email, locale: 'de' } });
    expect(created.status).toBe(201);
    expect(created.body.locale).toBe('de');
    const id = created.body.id as string;
    await call(app.url, 'POST', `/v1/accounts/${id}/top-ups`, { token: ADMIN_KEY, body: { credits: 1000 }, idempotencyKey: `t-${id}` });
    await call(app.url, 'POST', `/v1/accounts/${id}/debits`, { token: ADMIN_KEY, body: { credits: 850, operation: 'ingest' }, idempotencyKey: `d-${id}` });
    await app.settle();
    const [mail] = await mailTo(email);
    expect(mail?.subject).toMatch(/^Hinweis: noch 150 Credits \(20\s%/);
    expect(mail?.body.text).toMatch(/Guthaben: 150 Credits, Stand \d{1,2}\. [A-Z][a-zä]+\.? \d{4}, \d{2}:\d{2} UTC\./);
    expect(mail?.body.text, 'no raw ISO timestamps where a person reads').not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(mail?.body.html).toContain('<html lang="de">');
    expect(mail?.from).toBe('"Tollgate" <alerts@tollgate.local>');
  });

  it.each([['xx'], ['EN'], [3]])('refuses locale %j with a 400 naming it', async (locale) => {
    const c = await newCustomer(app.url);
    const reply = await setLocale(c.accountId, locale);
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(reply.body)).toMatch(/locale.*en, de, fr/);
    const create = await call(app.url, 'POST', '/v1/accounts', { token: ADMIN_KEY, body: { name: 'X', email: newAddress(), locale } });
    expect(create.status).toBe(400);
  });
});

describe('fromHeader', () => {
  it.each([
    ['Tollgate', 'a@x.io', '"Tollgate" <a@x.io>'],
    ['', 'a@x.io', 'a@x.io'],
    ['Say "hi"', 'a@x.io', '"Say \\"hi\\"" <a@x.io>'],
    ['Müller', 'a@x.io', `=?UTF-8?B?${Buffer.from('Müller').toString('base64')}?= <a@x.io>`],
  ])('%j', (name, address, expected) => {
    expect(fromHeader(name, address)).toBe(expected);
  });
});

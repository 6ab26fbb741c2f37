import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { de } from '../../functions/copy/catalogue/de.ts';
import { fr } from '../../functions/copy/catalogue/fr.ts';
import { SURFACES } from '../../functions/copy/preview.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call } from '../support/http.ts';

let app: TestApp;
beforeAll(async () => {
  process.env.COPY_CACHE_TTL_SECONDS = '0';
  app = await startTestApp();
});
afterAll(() => app.stop());

const preview = (body: unknown) => call(app.url, 'POST', '/v1/copy/preview', { token: ADMIN_KEY, body });

describe('POST /v1/copy/preview', () => {
  it.each(SURFACES)('renders %s in every locale, with no raw timestamps', async (surface) => {
    for (const locale of ['en', 'de', 'fr']) {
      const reply = await preview({ surface, locale });
      expect(reply.status, `${surface} ${locale}`).toBe(200);
      const shown = reply.body.kind === 'problem' ? `${reply.body.body.title} ${reply.body.body.detail}` : JSON.stringify(reply.body);
      if (reply.body.kind !== 'problem') expect(shown).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}/);
      if (reply.body.kind === 'email') expect(reply.body.html).toContain(`<html lang="${locale}">`);
      if (reply.body.kind === 'pages') for (const page of reply.body.pages) expect(page.html, page.id).toContain(`lang="${locale}"`);
    }
  });

  it('renders the 402 and emails in the locale, with saved overrides, a variant and an unsaved draft', async () => {
    expect((await preview({ surface: '402', locale: 'fr' })).body.body.title).toBe(fr['insufficientCredits.title']);
    const email = await preview({ surface: 'depletion-email', locale: 'de' });
    expect(email.body).toMatchObject({ kind: 'email', subject: 'Ihre Abfrage „report“ wartet – es fehlen 7 Credits' });
    expect(email.body.text).toContain('Hallo Ada Example');
    expect(email.body.html).toMatch(/^<!doctype html>/);

    await call(app.url, 'PUT', '/v1/copy/de', { token: ADMIN_KEY, body: { messages: { 'email.depletion.subject': 'Gespeichert: {operation}' } } });
    expect((await preview({ surface: 'depletion-email', locale: 'de' })).body.subject).toBe('Gespeichert: report');
    await call(app.url, 'PUT', '/v1/copy/de/variants/kurz', {
      token: ADMIN_KEY,
      body: { messages: { 'email.depletion.subject': 'Variante: {operation}' }, weight: 0 },
    });
    expect((await preview({ surface: 'depletion-email', locale: 'de', variant: 'kurz' })).body.subject).toBe('Variante: report');
    const draft = await preview({
      surface: 'depletion-email',
      locale: 'de',
      variant: 'kurz',
      messages: { 'email.depletion.subject': '<b>Entwurf</b> {shortfall}' },
    });
    expect(draft.body.subject).toBe('<b>Entwurf</b> 7 Credits');
    expect(draft.body.html).toContain('&#60;b&#62;Entwurf&#60;/b&#62;');
    expect((await preview({ surface: '402', locale: 'de' })).body.body.title).toBe(de['insufficientCredits.title']);
  });

  it.each([
    [{ surface: 'sms', locale: 'en' }, 400, 'surface'],
    [{ surface: '402', locale: 'es' }, 400, 'locale'],
    [{ surface: '402', locale: 'en', messages: { 'insufficientCredits.title': 'Hi {name}' } }, 400, 'unknown placeholder {name}'],
    [{ surface: '402', locale: 'en', variant: 'nope' }, 404, 'experiment has no variant'],
  ])('%j → %i naming the problem', async (body, status, named) => {
    const reply = await preview(body);
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(reply.body)).toContain(named);
  });
});

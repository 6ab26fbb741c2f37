import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesSender } from '../../functions/alerts/ses-sender.ts';
import { fireDueReminders, fireReminder } from '../../functions/reminders/fire.ts';
import type { Clock } from '../../functions/shared/clock.ts';
import { resetConfig } from '../../functions/shared/config.ts';
import { signLink } from '../../functions/shared/signed-links.ts';
import { ADMIN_KEY, LINK_SECRET, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';
import { pricing } from '../support/prices.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const at = (date: Date): Clock => ({ now: () => date });
const later = (ms: number) => ({ sender: sesSender(), clock: at(new Date(Date.now() + ms)), pricing });
const DAY = 86_400_000;

async function customer() {
  const email = newAddress();
  return { ...(await newCustomer(app.url, 20, undefined, email)), email };
}
const remind = (apiKey: string, after: unknown) => call(app.url, 'POST', '/v1/reminders', { token: apiKey, body: { after } });
const reminders = async (email: string) => (await mailTo(email)).filter((m) => m.subject.startsWith('Your reminder'));

describe('POST /v1/reminders', () => {
  it('schedules one reminder email, fired once when due', async () => {
    const c = await customer();
    const created = await remind(c.apiKey, 'P1D');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^rem_/), status: 'scheduled' });
    expect(Math.abs(Date.parse(created.body.dueAt) - (Date.now() + DAY))).toBeLessThan(60_000);
    await fireDueReminders(later(DAY - 3_600_000));
    expect(await reminders(c.email)).toHaveLength(0);
    await fireDueReminders(later(DAY + 60_000));
    await fireDueReminders(later(DAY + 120_000));
    const mail = await reminders(c.email);
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toBe('Your reminder: 20 credits left');
    expect(mail[0]?.body.text).toContain('you asked us to remind you');
  });

  it('concurrent firings send one email', async () => {
    const c = await customer();
    const { body } = await remind(c.apiKey, 'PT1H');
    await Promise.all(Array.from({ length: 5 }, () => fireReminder(c.accountId, body.id, later(2 * 3_600_000))));
    expect(await reminders(c.email)).toHaveLength(1);
  });

  it('is skipped when the customer topped up meanwhile', async () => {
    const c = await customer();
    const { body } = await remind(c.apiKey, 'PT4H');
    await call(app.url, 'POST', `/v1/accounts/${c.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 100 }, idempotencyKey: 'refill' });
    expect(await fireReminder(c.accountId, body.id, later(5 * 3_600_000))).toBe('skipped');
    expect(await reminders(c.email)).toHaveLength(0);
  });

  it('is skipped, not retried, where alert emails are off (no verified sender)', async () => {
    const c = await customer();
    const { body } = await remind(c.apiKey, 'PT1H');
    process.env.ALERT_EMAILS = 'off';
    resetConfig();
    try {
      expect(await fireReminder(c.accountId, body.id, later(2 * 3_600_000))).toBe('skipped');
    } finally {
      delete process.env.ALERT_EMAILS;
      resetConfig();
    }
    expect(await reminders(c.email)).toHaveLength(0);
  });

  it('can be cancelled before it fires', async () => {
    const c = await customer();
    const { body } = await remind(c.apiKey, 'P2D');
    expect((await call(app.url, 'DELETE', `/v1/reminders/${body.id}`, { token: c.apiKey })).status).toBe(204);
    expect((await call(app.url, 'DELETE', `/v1/reminders/${body.id}`, { token: c.apiKey })).status).toBe(409);
    expect(await fireReminder(c.accountId, body.id, later(3 * DAY))).toBe('gone');
    expect(await reminders(c.email)).toHaveLength(0);
    const other = await customer();
    expect((await call(app.url, 'DELETE', `/v1/reminders/${body.id}`, { token: other.apiKey })).status).toBe(404);
  });

  it.each(['PT30M', 'P31D', 'P1M', 'tomorrow', 'P', 'PT', 42])('refuses after=%s with 400', async (after) => {
    const c = await customer();
    expect((await remind(c.apiKey, after)).status).toBe(400);
  });
});

describe('the "Remind me later" link', () => {
  it('opens a page to pick when, and a click schedules the reminder', async () => {
    const c = await customer();
    const token = signLink({ purpose: 'remind', accountId: c.accountId, exp: Math.floor(Date.now() / 1000) + 3600 }, LINK_SECRET);
    const page = await fetch(`${app.url}/remind?token=${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('When should we remind you?');
    expect(html).toMatch(/<label for="after-2"> In 3 days<\/label>/);
    const posted = await fetch(`${app.url}/remind?token=${token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'after=P3D',
    });
    expect(posted.status).toBe(201);
    expect(await posted.text()).toContain('get an email around');
    await fireDueReminders(later(3 * DAY + 60_000));
    expect(await reminders(c.email)).toHaveLength(1);
  });

  it('refuses a link made for another purpose', async () => {
    const c = await customer();
    const token = signLink({ purpose: 'usage', accountId: c.accountId, exp: Math.floor(Date.now() / 1000) + 3600 }, LINK_SECRET);
    expect((await fetch(`${app.url}/remind?token=${token}`)).status).toBe(403);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

/** A steady load: `clients` callers, together about `perSecond` debits of 1 credit, until the balance is spent down to `stopAt`. */
async function sustainedLoad(accountId: string, opening: number, stopAt: number, clients: number, perSecond: number) {
  const answered: { at: number; balance: number }[] = [];
  const started = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (sent < opening - stopAt) {
        const i = sent++;
        const due = started + (i * 1000) / perSecond;
        if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
        const reply = await call(app.url, 'POST', `/v1/accounts/${accountId}/debits`, {
          token: ADMIN_KEY,
          body: { credits: 1, operation: 'ingest' },
          idempotencyKey: `load-${i}`,
        });
        if (reply.status !== 200 && reply.status !== 201) throw new Error(`debit ${i}: ${reply.status} ${reply.text}`);
        answered.push({ at: performance.now(), balance: Number(reply.headers.get('credits-remaining') ?? reply.body.balance?.available) });
      }
    }),
  );
  return answered;
}

describe('threshold emails under sustained load', () => {
  it('each of 50/20/5 % arrives within a few seconds of its crossing, once', async () => {
    const email = newAddress();
    const opening = 1500;
    const { accountId } = await newCustomer(app.url, opening, undefined, email);
    const firstSeen = new Map<string, number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const mail of await mailTo(email)) if (!firstSeen.has(mail.subject)) firstSeen.set(mail.subject, performance.now());
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    // 150 debits a second for about ten seconds, down to 40 credits (below the 5 % level of 75).
    const answered = await sustainedLoad(accountId, opening, 40, 16, 150);
    const deadline = performance.now() + 30_000;
    while (firstSeen.size < 3 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    watching = false;
    await watcher;

    const crossedAt = (level: number) => Math.min(...answered.filter((reply) => reply.balance <= level).map((reply) => reply.at));
    const subjects = (await mailTo(email)).map((mail) => mail.subject);
    expect(subjects).toHaveLength(3);
    for (const [percent, level] of [
      [50, 750],
      [20, 300],
      [5, 75],
    ] as const) {
      const subject = subjects.find((s) => s.includes(`(${percent}% of your last top-up)`));
      expect(subject, `the ${percent} % email`).toBeDefined();
      const delay = (firstSeen.get(subject ?? '') ?? Number.POSITIVE_INFINITY) - crossedAt(level);
      expect(delay, `seconds from the ${percent} % crossing to its email`).toBeLessThan(5_000);
    }
  });
});

import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createWebhookReceiver, RejectedWebhookError, seenInMemory } from '../../functions/webhooks/receiver.ts';
import { newSecret } from '../../functions/webhooks/store.ts';

const body = JSON.stringify({
  id: 'evt_1',
  type: 'plan.changed',
  version: 1,
  timestamp: '2026-11-30T00:00:00Z',
  data: { accountId: 'acc_1', from: 'a', to: 'b' },
});
const signed = (secret: string, id = 'evt_1', at = new Date(), payload = body) => ({
  'webhook-id': id,
  'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
  'webhook-signature': new Webhook(secret).sign(id, at, payload),
});

describe('createWebhookReceiver (the receiver helper the README documents)', () => {
  it('accepts a signed delivery once and refuses its replay', async () => {
    const secret = newSecret();
    const receive = createWebhookReceiver({ secret, seen: seenInMemory() });
    const headers = signed(secret);
    await expect(receive(body, headers)).resolves.toMatchObject({ id: 'evt_1', type: 'plan.changed' });
    await expect(receive(body, headers)).rejects.toMatchObject({ reason: 'replay' });
  });

  it.each([
    ['another secret', () => signed(newSecret())],
    ['a changed body', () => signed(secretA, 'evt_1', new Date(), body.replace('"b"', '"c"'))],
    ['a stale timestamp (a capture replayed later)', () => signed(secretA, 'evt_1', new Date(Date.now() - 10 * 60_000))],
  ])('refuses a delivery signed with %s', async (_, headersOf) => {
    const receive = createWebhookReceiver({ secret: secretA, seen: seenInMemory() });
    const error = await receive(body, headersOf()).catch((e) => e);
    expect(error).toBeInstanceOf(RejectedWebhookError);
    expect(error.reason).toBe('signature');
  });

  it('accepts either of two space-separated signatures (a rotation’s overlap)', async () => {
    const oldSecret = newSecret();
    const at = new Date();
    const headers = {
      ...signed(secretA, 'evt_2', at),
      'webhook-signature': `${signed(secretA, 'evt_2', at)['webhook-signature']} ${signed(oldSecret, 'evt_2', at)['webhook-signature']}`,
    };
    await expect(createWebhookReceiver({ secret: oldSecret, seen: seenInMemory() })(body, headers)).resolves.toBeDefined();
    await expect(createWebhookReceiver({ secret: secretA, seen: seenInMemory() })(body, headers)).resolves.toBeDefined();
  });
});

const secretA = newSecret();

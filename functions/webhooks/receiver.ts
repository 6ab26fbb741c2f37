import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { WebhookEvent } from './events.ts';

/** Remembers the `webhook-id`s already handled (a table, Redis, a set); `add` is false when the id was there. */
export interface SeenIds {
  add(id: string): boolean | Promise<boolean>;
}

/** A delivery the receiver must not act on: forged, stale (replayed later) or already handled. */
export class RejectedWebhookError extends Error {
  readonly reason: 'signature' | 'replay';
  constructor(reason: 'signature' | 'replay', message: string) {
    super(message);
    this.name = 'RejectedWebhookError';
    this.reason = reason;
  }
}

/**
 * The receiver side, as the README shows it: `standardwebhooks` checks the signature over
 * `id.timestamp.body` with any of the endpoint's secrets (space-separated signatures survive a
 * rotation) and refuses timestamps more than 5 minutes off; the `webhook-id` is then claimed once,
 * so a retry or a replay of an event already handled is refused too. Pass the raw body, unparsed.
 */
export function createWebhookReceiver(options: { secret: string; seen: SeenIds }) {
  const webhook = new Webhook(options.secret);
  return async (rawBody: string, headers: Record<string, string>): Promise<WebhookEvent> => {
    let event: WebhookEvent;
    try {
      event = webhook.verify(rawBody, headers) as WebhookEvent;
    } catch (error) {
      if (error instanceof WebhookVerificationError) throw new RejectedWebhookError('signature', error.message);
      throw error;
    }
    if (!(await options.seen.add(headers['webhook-id'] ?? ''))) throw new RejectedWebhookError('replay', `Event ${headers['webhook-id']} was already handled.`);
    return event;
  };
}

/** An in-memory `SeenIds` (one process; use shared storage with several). */
export function seenInMemory(): SeenIds {
  const ids = new Set<string>();
  return {
    add: (id) => {
      if (ids.has(id)) return false;
      ids.add(id);
      return true;
    },
  };
}

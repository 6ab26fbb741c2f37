import { Webhook } from 'standardwebhooks';
import type { Clock } from '../shared/clock.ts';
import { config } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { countMetric } from '../shared/metrics.ts';
import type { DeliveryItem, EndpointItem, EndpointSecrets } from './model.ts';
import { breakerAfterFailure, breakerOpenUntil, nextAttemptAfterFailure, type RetryPolicy } from './policy.ts';
import { findEndpoint, findSecrets, leaseDelivery, oldestPending, settleAttempt, updateEndpoint } from './store.ts';

export interface DeliverDeps {
  clock: Clock;
  /** @default the configured policy */
  policy?: RetryPolicy;
}

export const configuredPolicy = (): RetryPolicy => ({
  baseMs: config().WEBHOOK_RETRY_BASE_MS,
  windowHours: config().WEBHOOK_RETRY_HOURS,
  disableAfterHours: config().WEBHOOK_DISABLE_AFTER_HOURS,
});

/** What the worker left to do: nothing, or come back at `retryAt`. */
export interface DeliverOutcome {
  retryAt?: Date;
}

/** Longer than any attempt (the receiver's timeout), so a lease never expires under a live attempt. */
const leaseMs = () => config().WEBHOOK_TIMEOUT_MS + 5_000;
const ERROR_MAX_CHARS = 300;
const MAX_PER_RUN = 10;

/**
 * Sends one account's pending events to one endpoint, oldest first: a later event waits while
 * an earlier one is pending, so the receiver sees the account's events in order. Stops at the
 * first failure (recording it and when to try again), at an open circuit, or at a disabled
 * endpoint. Every attempt of an event carries the same `webhook-id` and body.
 */
export async function deliverPending(endpointId: string, accountId: string, deps: DeliverDeps): Promise<DeliverOutcome> {
  const policy = deps.policy ?? configuredPolicy();
  for (let sent = 0; ; sent++) {
    // A long backlog is sent over several runs, each well inside the worker's timeout.
    if (sent === MAX_PER_RUN) return { retryAt: deps.clock.now() };
    const endpoint = await findEndpoint(endpointId);
    if (!endpoint?.enabled) return {};
    const now = deps.clock.now();
    const openUntil = breakerOpenUntil(endpoint, now);
    if (openUntil) return { retryAt: openUntil };
    const delivery = await oldestPending(endpointId, accountId);
    if (!delivery) return {};
    if (Date.parse(delivery.nextAttemptAt) > now.getTime()) return { retryAt: new Date(delivery.nextAttemptAt) };
    // Another worker has it; come back when its lease ends, in case that worker died holding it.
    if (!(await leaseDelivery(delivery, now, leaseMs()))) return { retryAt: new Date(now.getTime() + leaseMs()) };
    const secrets = await findSecrets(endpointId);
    if (!secrets) return {};
    const failure = await attempt(endpoint, delivery, secrets, deps.clock);
    if (failure) return recordFailure(endpoint, delivery, failure, deps.clock.now(), policy);
    await settleAttempt(
      delivery,
      { status: 'delivered', attempts: delivery.attempts + 1, nextAttemptAt: delivery.nextAttemptAt, deliveredAt: deps.clock.now().toISOString() },
      now,
    );
    countMetric('webhooksDelivered');
    if (endpoint.consecutiveFailures) await updateEndpoint(endpointId, { consecutiveFailures: 0 }, ['failingSince', 'openUntil']);
  }
}

interface Failure {
  error: string;
  statusCode?: number;
}

/** One POST, signed with every secret in force (Standard Webhooks: space-separated signatures). */
async function attempt(endpoint: EndpointItem, delivery: DeliveryItem, secrets: EndpointSecrets, clock: Clock): Promise<Failure | undefined> {
  const sentAt = clock.now();
  const signature = signingSecrets(secrets, sentAt)
    .map((secret) => new Webhook(secret).sign(delivery.eventId, sentAt, delivery.body))
    .join(' ');
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Tollgate-Webhooks/1',
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(config().WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return undefined;
    return { error: `The endpoint answered ${response.status}.`, statusCode: response.status };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError') return { error: `No answer within ${config().WEBHOOK_TIMEOUT_MS} ms.` };
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    return { error: `The request failed: ${cause}`.slice(0, ERROR_MAX_CHARS) };
  }
}

/** The current secret, and the one before a rotation while its overlap lasts. */
export function signingSecrets(secrets: EndpointSecrets, now: Date): string[] {
  const previousValid = secrets.previous && secrets.previousUntil && Date.parse(secrets.previousUntil) > now.getTime();
  return previousValid && secrets.previous ? [secrets.current, secrets.previous] : [secrets.current];
}

async function recordFailure(endpoint: EndpointItem, delivery: DeliveryItem, failure: Failure, now: Date, policy: RetryPolicy): Promise<DeliverOutcome> {
  const attempts = delivery.attempts + 1;
  const next = nextAttemptAfterFailure(attempts, new Date(delivery.retryFrom), now, policy);
  countMetric('webhookAttemptsFailed');
  await settleAttempt(
    delivery,
    { status: next ? 'pending' : 'failed', attempts, nextAttemptAt: (next ?? now).toISOString(), lastError: failure.error, lastStatusCode: failure.statusCode },
    now,
  );
  if (!next) {
    countMetric('webhooksFailed');
    logger.warn('webhook delivery given up after its retry window', { endpointId: endpoint.id, eventId: delivery.eventId, attempts });
  }
  const breaker = breakerAfterFailure(endpoint, now, policy);
  const { disable, ...state } = breaker;
  await updateEndpoint(endpoint.id, { ...state, ...(disable ? { enabled: false, disabledReason: disable, updatedAt: now.toISOString() } : {}) });
  if (disable) {
    countMetric('webhookEndpointsDisabled');
    logger.error('webhook endpoint disabled', { endpointId: endpoint.id, reason: disable });
    return {};
  }
  // A failure that ends the delivery lets the account's next event go (after the circuit's rest, if open).
  const openUntil = breakerOpenUntil(state, now);
  if (!next) return { retryAt: openUntil ?? now };
  return { retryAt: openUntil && openUntil > next ? openUntil : next };
}

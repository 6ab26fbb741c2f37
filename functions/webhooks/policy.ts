import type { EndpointItem } from './model.ts';

/** The delivery settings (from config; tests shrink the base). */
export interface RetryPolicy {
  /** First retry delay; each later one doubles, up to `MAX_DELAY_MS`. */
  baseMs: number;
  /** Retries stop this long after the first attempt. */
  windowHours: number;
  /** An endpoint failing without a success this long is disabled. */
  disableAfterHours: number;
}

const MAX_DELAY_MS = 3_600_000;
/** Failed attempts in a row (across the endpoint's accounts) that open its circuit. */
export const BREAKER_THRESHOLD = 5;
/** How long an open circuit rests, in retry bases (a minute by default). */
const BREAKER_COOLDOWN_BASES = 12;

/**
 * When to try a delivery again after its `attempts`-th failed attempt: exponential backoff
 * (base, 2×, 4×, … capped at an hour), with one last attempt at the end of the window; none
 * after it. Pure.
 */
export function nextAttemptAfterFailure(attempts: number, retryFrom: Date, now: Date, policy: RetryPolicy): Date | undefined {
  const deadline = retryFrom.getTime() + policy.windowHours * 3_600_000;
  if (now.getTime() >= deadline) return undefined;
  const delay = Math.min(policy.baseMs * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
  return new Date(Math.min(now.getTime() + delay, deadline));
}

export type BreakerState = Pick<EndpointItem, 'consecutiveFailures' | 'failingSince' | 'openUntil'>;

/** The endpoint's breaker after a failed attempt, and whether it has now failed long enough to be disabled. Pure. */
export function breakerAfterFailure(state: BreakerState, now: Date, policy: RetryPolicy): BreakerState & { disable?: string } {
  const consecutiveFailures = (state.consecutiveFailures ?? 0) + 1;
  const failingSince = state.failingSince ?? now.toISOString();
  const opens = consecutiveFailures >= BREAKER_THRESHOLD;
  const openUntil = opens ? new Date(now.getTime() + policy.baseMs * BREAKER_COOLDOWN_BASES).toISOString() : state.openUntil;
  const failingMs = now.getTime() - Date.parse(failingSince);
  const disable =
    failingMs >= policy.disableAfterHours * 3_600_000
      ? `Every delivery since ${failingSince} failed (${consecutiveFailures} attempts in a row); disabled after ${policy.disableAfterHours} h without a success.`
      : undefined;
  return { consecutiveFailures, failingSince, openUntil, ...(disable ? { disable } : {}) };
}

/** Until when no attempt may be made on this endpoint, if its circuit is open. */
export function breakerOpenUntil(state: BreakerState, now: Date): Date | undefined {
  return state.openUntil && Date.parse(state.openUntil) > now.getTime() ? new Date(state.openUntil) : undefined;
}

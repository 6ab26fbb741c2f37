import type { AccountItem } from '../accounts/model.ts';
import { effectiveAlerts } from './settings.ts';

type Image = Pick<AccountItem, 'balance' | 'baseline' | 'baselineSeq' | 'alerts' | 'email'>;

/** The credits at which a threshold (a percentage of the baseline) is reached. */
export function thresholdLevel(baseline: number, percent: number): number {
  return Math.floor((baseline * percent) / 100);
}

/**
 * The threshold a balance change crossed downward — from above its level to at or below it —
 * or none. Several crossed at once: the lowest, so one change sends one email. Pure.
 */
export function crossedThreshold(oldImage: Image | undefined, newImage: Image): number | undefined {
  if (!oldImage || newImage.balance >= oldImage.balance) return undefined;
  if (oldImage.baselineSeq !== newImage.baselineSeq) return undefined;
  const baseline = newImage.baseline ?? 0;
  const crossed = effectiveAlerts(newImage).thresholds.filter((percent) => {
    const level = thresholdLevel(baseline, percent);
    return oldImage.balance > level && newImage.balance <= level;
  });
  return crossed.length > 0 ? Math.min(...crossed) : undefined;
}

/** What this episode already told the customer. */
export interface EpisodeState {
  /** The lowest threshold already emailed in this episode. */
  sentLowest?: number;
  /** The depletion email: a parked query, with its resume link. */
  depletionSentAt?: string;
  /** The email about a refused admin debit; it never stands in for the depletion email. */
  refusalSentAt?: string;
}

/** A crossing is news only if no email for it or a lower threshold went out in this episode. */
export function isNews(threshold: number, state: EpisodeState | undefined): boolean {
  return state?.sentLowest === undefined || threshold < state.sentLowest;
}

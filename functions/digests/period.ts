import type { DigestFrequency } from '../accounts/model.ts';
import { isoWeek } from '../funnel/report.ts';

export type DigestPeriodKind = Exclude<DigestFrequency, 'off'>;

/** One digest period: `id` names it in claims (`2026-W48`, `2026-11`); `[from, to)`. */
export interface DigestPeriod {
  kind: DigestPeriodKind;
  id: string;
  from: Date;
  to: Date;
  /** The period before, for the change. */
  previous: { from: Date; to: Date };
}

const DAY_MS = 86_400_000;

/**
 * The last period that ended at or before `now`: the ISO week (Monday to Monday, UTC) or the
 * calendar month. The scheduled run (Monday, the 1st) and an on-demand run agree on it. Pure.
 */
export function lastCompletedPeriod(kind: DigestPeriodKind, now: Date): DigestPeriod {
  if (kind === 'weekly') {
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const to = new Date(midnight - ((now.getUTCDay() + 6) % 7) * DAY_MS);
    const from = new Date(to.getTime() - 7 * DAY_MS);
    return { kind, id: isoWeek(from.toISOString().slice(0, 10)), from, to, previous: { from: new Date(from.getTime() - 7 * DAY_MS), to: from } };
  }
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const previousFrom = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1));
  return { kind, id: from.toISOString().slice(0, 7), from, to, previous: { from: previousFrom, to: from } };
}

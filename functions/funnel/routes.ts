import { z } from 'zod';
import { requireAdmin } from '../accounts/auth.ts';
import type { EmailSender } from '../alerts/ses-sender.ts';
import { runDigests } from '../digests/job.ts';
import type { RouteMap } from '../http/handler.ts';
import { parseBody, parseQuery } from '../http/request.ts';
import { json } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import type { Clock } from '../shared/clock.ts';
import { ValidationError } from '../shared/errors.ts';
import { dayOf } from './episode.ts';
import { buildReport, type GroupBy, type RecoveryReport } from './report.ts';
import { reportRows } from './report-store.ts';
import { DEFAULT_REPORT_DAYS, MAX_REPORT_DAYS, recoveryReportQuery } from './schemas.ts';

export interface ReportDeps {
  clock: Clock;
  sender: EmailSender;
}

/** `POST /v1/jobs/digest/run` body. */
export const digestRunBody = z.strictObject({ period: z.enum(['weekly', 'monthly'], { error: 'must be "weekly" or "monthly"' }) });

const DAY_MS = 86_400_000;

/** Admin routes: the recovery funnel report, and the digest job on demand. */
export function reportRoutes(deps: ReportDeps): RouteMap {
  return {
    'GET /v1/reports/recovery': async (event) => {
      await requireAdmin(event);
      const { from, to, groupBy } = reportWindow(event, deps.clock.now());
      return json(200, await recoveryReportFor(from, to, groupBy, deps.clock.now()));
    },
    // The scheduled digest run, on demand: the same claims, so it never sends a period's digest twice.
    'POST /v1/jobs/digest/run': async (event) => {
      await requireAdmin(event);
      const { period } = parseBody(event, digestRunBody).value;
      return json(200, await runDigests(period, deps));
    },
  };
}

/** The validated window and grouping of a report request; defaults to the 30 days ending today. */
export function reportWindow(event: HttpEvent, now: Date): { from: string; to: string; groupBy: GroupBy } {
  const query = parseQuery(event, recoveryReportQuery);
  const to = query.to ?? dayOf(now.toISOString());
  const from = query.from ?? dayOf(new Date(Date.parse(to) - (DEFAULT_REPORT_DAYS - 1) * DAY_MS).toISOString());
  if (from > to) throw new ValidationError('query.from: must be on or before "to".', [{ path: 'query.from', message: 'must be on or before "to"' }]);
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_REPORT_DAYS) {
    throw new ValidationError(`query.from: the window may span at most ${MAX_REPORT_DAYS} days.`, [
      { path: 'query.from', message: `the window may span at most ${MAX_REPORT_DAYS} days` },
    ]);
  }
  return { from, to, groupBy: query.groupBy };
}

/** The report the API answers and the report page draws: the same numbers from the same counters. */
export async function recoveryReportFor(from: string, to: string, groupBy: GroupBy, now: Date): Promise<RecoveryReport> {
  const rows = await reportRows(from, to, groupBy, now);
  return buildReport({ from, to, groupBy, now, ...rows });
}

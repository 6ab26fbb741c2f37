import { z } from 'zod';
import { requireAdmin } from '../accounts/auth.ts';
import { linkPaths } from '../alerts/links.ts';
import type { EmailSender } from '../alerts/ses-sender.ts';
import { runDigests } from '../digests/job.ts';
import type { RouteMap } from '../http/handler.ts';
import { parseBody, parseQuery } from '../http/request.ts';
import { html, json } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import type { Clock } from '../shared/clock.ts';
import { required } from '../shared/config.ts';
import { IncompleteLinkError, ValidationError } from '../shared/errors.ts';
import { linkSigningSecret } from '../shared/secrets.ts';
import { signLink, verifyLink } from '../shared/signed-links.ts';
import { dayOf } from './episode.ts';
import type { RecoveryReportLink } from './openapi.ts';
import { renderReportPage } from './page.ts';
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

/** Admin routes: the recovery funnel report (API, and a page behind a signed link), and the digest job on demand. */
export function reportRoutes(deps: ReportDeps): RouteMap {
  return {
    'GET /v1/reports/recovery': async (event) => {
      await requireAdmin(event);
      const { from, to, groupBy } = reportWindow(event, deps.clock.now());
      return json(200, await recoveryReportFor(from, to, groupBy, deps.clock.now()));
    },
    'POST /v1/reports/recovery/link': async (event) => {
      await requireAdmin(event);
      return json(201, await reportLink(deps.clock.now()));
    },
    'GET /reports/recovery': (event) => reportPage(event, deps),
    // The scheduled digest run, on demand: the same claims, so it never sends a period's digest twice.
    'POST /v1/jobs/digest/run': async (event) => {
      await requireAdmin(event);
      const { period } = parseBody(event, digestRunBody).value;
      return json(200, await runDigests(period, deps));
    },
  };
}

/** How long a report page link works: an operator asks the API for a fresh one. */
const REPORT_LINK_TTL_SECONDS = 3600;

/** A fresh signed link to the report page. */
async function reportLink(now: Date): Promise<RecoveryReportLink> {
  const exp = Math.floor(now.getTime() / 1000) + REPORT_LINK_TTL_SECONDS;
  const token = signLink({ purpose: 'report', exp }, await linkSigningSecret());
  return { url: `${required('TOLLGATE_PUBLIC_URL').replace(/\/+$/, '')}${linkPaths.report}?token=${token}`, expiresAt: new Date(exp * 1000).toISOString() };
}

/** The report page (signed admin link): `?token=` and the report's own `from`, `to`, `groupBy`. */
async function reportPage(event: HttpEvent, deps: ReportDeps): Promise<HttpResult> {
  const now = deps.clock.now();
  const { token, ...rest } = event.queryStringParameters ?? {};
  if (!token) throw new IncompleteLinkError();
  verifyLink(token, 'report', now, await linkSigningSecret());
  const { from, to, groupBy } = reportWindow({ ...event, queryStringParameters: rest }, now);
  const [report, whole] = await Promise.all([recoveryReportFor(from, to, groupBy, now), recoveryReportFor(from, to, 'none', now)]);
  const total = whole.groups[0];
  if (!total) throw new Error('an ungrouped report always has one group');
  const hrefFor = (option: GroupBy) => `${event.rawPath}?${new URLSearchParams({ token, from, to, groupBy: option }).toString()}`;
  return html(200, renderReportPage({ groupBy, report, total, hrefFor }));
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

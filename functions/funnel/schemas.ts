import { z } from 'zod';
import { GROUP_BY } from './report.ts';

/** Longest window one report covers. */
export const MAX_REPORT_DAYS = 366;
/** Days a report covers when `from` is not given (ending at `to`). @default 30 */
export const DEFAULT_REPORT_DAYS = 30;

const day = z.iso.date({ error: 'must be a date (YYYY-MM-DD, UTC)' });

/** `GET /v1/reports/recovery` query: the days of the walls counted (inclusive) and the grouping. */
export const recoveryReportQuery = z.strictObject({
  from: day.optional(),
  to: day.optional(),
  groupBy: z.enum(GROUP_BY, { error: `must be one of ${GROUP_BY.join(', ')}` }).default('none'),
});

const stageCounts = z.object({
  wall: z.number().int(),
  warned: z.number().int(),
  usageViewed: z.number().int(),
  reminderSet: z.number().int(),
  checkoutStarted: z.number().int(),
  paid: z.number().int(),
  resumed: z.number().int(),
});

/** `GET /v1/reports/recovery` answer. */
export const recoveryReport = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  groups: z.array(
    z.object({
      key: z.string(),
      episodes: z.number().int(),
      pending: z.number().int(),
      recovered: z.number().int(),
      recoveryRate: z.number().nullable(),
      ci95: z.tuple([z.number(), z.number()]).nullable(),
      medianHoursToRecover: z.number().nullable(),
      revenueRecovered: z.array(z.object({ amount: z.string(), currency: z.string() })),
      stages: stageCounts,
      pValue: z.number().nullable().optional(),
    }),
  ),
});

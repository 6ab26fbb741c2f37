import { z } from 'zod';
import { answers, described, type FeatureApi, htmlPage } from '../http/openapi.ts';
import { GROUP_BY } from './report.ts';
import { digestRunBody } from './routes.ts';
import { recoveryReport } from './schemas.ts';

export const RecoveryReport = described(
  recoveryReport,
  {
    from: 'First day (UTC) of the walls counted.',
    to: 'Last day (UTC) of the walls counted, inclusive.',
    groups: 'One per group of `groupBy`, by key; `groupBy=none` gives the one group `all`.',
  },
  { description: 'How the episodes whose wall (first 402) fell in [from, to] recovered, per group.' },
);

export const DigestRunRequest = described(digestRunBody, { period: 'Which digest to send: the last ended week’s or month’s.' });

export const DigestRun = z
  .object({
    period: z.string().meta({ description: 'The period sent, e.g. 2026-W48 or 2026-11.' }),
    sent: z.int().min(0),
    already: z.int().min(0).meta({ description: 'Sent (or being sent) before for this period.' }),
    skipped: z.int().min(0).meta({ description: 'On the list but no longer asking for this digest, or refused by SES for good.' }),
    failed: z.int().min(0).meta({ description: 'Not sent this time (their claims were released; run again).' }),
  })
  .meta({ description: 'What one run of the digest job did.' });

export type RecoveryReportLink = z.output<typeof RecoveryReportLink>;
export const RecoveryReportLink = z
  .object({
    url: z.url().meta({ description: 'The report page, signed; add `from`, `to` and `groupBy` as for the API.' }),
    expiresAt: z.iso.datetime(),
  })
  .meta({ description: 'A signed link (valid for one hour) to the recovery report page.' });

/** The report's window and grouping: the API and the page take the same. */
export const REPORT_PARAMETERS = [
  {
    name: 'from',
    in: 'query',
    required: false,
    description: 'First day (UTC) of walls counted. @default 29 days before `to`',
    schema: { type: 'string', format: 'date' },
  },
  {
    name: 'to',
    in: 'query',
    required: false,
    description: 'Last day (UTC) of walls counted, inclusive. @default today',
    schema: { type: 'string', format: 'date' },
  },
  {
    name: 'groupBy',
    in: 'query',
    required: false,
    description:
      'none: one group "all"; plan; locale ("unset" without one); variant (the copy variant; "base" without one); action (each of usageViewed, reminderSet, checkoutStarted taken after the wall — an episode counts in each it took — and "none"); week (ISO week of the wall, e.g. 2026-W48).',
    schema: { type: 'string', enum: [...GROUP_BY], default: 'none' },
  },
];

const operations: FeatureApi['operations'] = [
  {
    method: 'GET',
    path: '/v1/reports/recovery',
    operationId: 'getRecoveryReport',
    summary: 'Report how customers recover after hitting the wall',
    description:
      'Depletion episodes whose wall (first 402) falls in [from, to] (UTC days, inclusive; default the 30 days ending today, at most 366), grouped. `episodes` counts them; `pending` those unpaid whose wall is less than 48 h old; `recovered` those paid within 48 h of the wall; `recoveryRate` = recovered / (episodes − pending), null when that is 0; `ci95` its Wilson score interval (95 %); `medianHoursToRecover` the median time from wall to payment of the recovered (to the minute); `revenueRecovered` what the recovered paid through checkout, per currency; `stages` how many episodes reached each stage. With groupBy=variant each variant has `pValue`, the two-sided p-value of a pooled two-proportion z-test against the base copy. Read from per-day counters, never a scan of episodes. Unknown query parameters are refused (400).',
    parameters: REPORT_PARAMETERS,
    responses: {
      '200': { description: 'The report.', content: { 'application/json': { schema: RecoveryReport } } },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/v1/reports/recovery/link',
    operationId: 'createRecoveryReportLink',
    summary: 'Get a fresh link to the recovery report page',
    description:
      'A signed link (valid for one hour) to the report page for people: the SVG funnel of the window and the table by group, with the numbers of GET /v1/reports/recovery. Add `from`, `to` and `groupBy` to it as for the API.',
    responses: {
      '201': { description: 'The link.', content: { 'application/json': { schema: RecoveryReportLink } } },
      ...answers('Unauthorized', 'Forbidden', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'GET',
    path: '/reports/recovery',
    operationId: 'showRecoveryReportPage',
    summary: 'Show the recovery report page',
    description:
      'The recovery report for people (signed link from POST /v1/reports/recovery/link): an SVG funnel of the whole window and the table by group, the same numbers as GET /v1/reports/recovery. Takes the same `from`, `to` and `groupBy`.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }, ...REPORT_PARAMETERS],
    responses: {
      '200': htmlPage('The report page (HTML, no script).'),
      ...answers('BadRequest', 'LinkInvalid', 'LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/v1/jobs/digest/run',
    operationId: 'runDigestJob',
    summary: 'Run the usage digest job now',
    description:
      'Runs the scheduled digest job on demand: the digest of the last ended week (Monday to Monday, UTC) or calendar month goes to every account on that frequency’s list. Each account’s digest is claimed per period before it is sent, so running it again (or alongside the schedule) sends nothing twice.',
    requestBody: { required: true, content: { 'application/json': { schema: DigestRunRequest } } },
    responses: {
      '200': { description: 'What the run did.', content: { 'application/json': { schema: DigestRun } } },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'PayloadTooLarge', 'UnsupportedMediaType', 'InternalError', 'ServiceUnavailable'),
    },
  },
];

/** What the code answers, as the document says; the code that builds each answer is typed with these. */
export type DigestRun = z.output<typeof DigestRun>;

export const funnelApi: FeatureApi = {
  requests: { DigestRunRequest },
  responses: { RecoveryReport, RecoveryReportLink, DigestRun },
  operations,
};

import { z } from 'zod';
import { answers, described, type FeatureApi, htmlPage, Problem, ValidationProblem } from '../http/openapi.ts';
import { createReminderBody } from './routes.ts';

export const ReminderDelay = z
  .string()
  .regex(/^P(?!$)(?:\d{1,3}W)?(?:\d{1,3}D)?(?:T(?=\d)(?:\d{1,4}H)?(?:\d{1,5}M)?)?$/)
  .meta({
    examples: ['P1D'],
    description:
      'When to remind, from now: an ISO-8601 duration in weeks, days, hours and minutes (`PT4H`, `P1D`, `P1W`, `P2DT12H`), from 1 hour (`PT1H`) to 30 days (`P30D`). Months and years are refused (their length depends on the calendar); so are seconds and fractions.',
  });

export const ReminderRequest = described(createReminderBody, { after: ReminderDelay });

export const Reminder = z
  .object({
    id: z.string().regex(/^rem_[A-Za-z0-9_-]{16}$/),
    dueAt: z.iso.datetime(),
    status: z
      .enum(['scheduled', 'sent', 'skipped', 'cancelled'])
      .meta({ description: '`scheduled` until it fires (a new reminder always is); `skipped` when a top-up came first.' }),
    createdAt: z.iso.datetime(),
  })
  .meta({ description: 'One “remind me later”: an email at `dueAt` with the balance and the ways forward, skipped if the account is topped up before then.' });

const operations: FeatureApi['operations'] = [
  {
    method: 'POST',
    path: '/v1/reminders',
    operationId: 'createReminder',
    summary: 'Ask to be reminded later',
    description:
      'The `remind_later` action of a 402: schedules one email, `after` from now, with the balance and the ways forward. It is skipped if the account is topped up before then.',
    requestBody: { required: true, content: { 'application/json': { schema: ReminderRequest } } },
    responses: {
      '201': {
        description: 'Scheduled.',
        headers: { Location: { description: 'The new reminder’s path, `/v1/reminders/{reminderId}`.', schema: { type: 'string' } } },
        content: { 'application/json': { schema: Reminder } },
      },
      '400': {
        description:
          'Invalid input (see BadRequest), including an `after` that is not a duration in weeks, days, hours and minutes, or is shorter than 1 hour or longer than 30 days.',
        content: { 'application/problem+json': { schema: ValidationProblem } },
      },
      ...answers('Unauthorized', 'Forbidden', 'PayloadTooLarge', 'UnsupportedMediaType', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'DELETE',
    path: '/v1/reminders/{reminderId}',
    operationId: 'cancelReminder',
    summary: 'Cancel a reminder',
    description: 'Cancels a scheduled reminder of the API key’s account; no email is sent.',
    parameters: [{ $ref: '#/components/parameters/ReminderId' }],
    responses: {
      '204': { description: 'Cancelled.' },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden'),
      '404': { description: 'No such reminder on the API key’s account.', content: { 'application/problem+json': { schema: Problem } } },
      '409': {
        description: 'The reminder was already sent, skipped, cancelled, or is being sent now.',
        content: { 'application/problem+json': { schema: Problem } },
      },
      ...answers('InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'GET',
    path: '/remind',
    operationId: 'showRemindPage',
    summary: 'Show the remind-me-later page',
    description:
      'The page behind the “Remind me later” link of an alert email. Opening it changes nothing; its form POSTs `after` (in 4 hours, tomorrow, in 3 days or in a week) to this same address.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    responses: {
      '200': htmlPage('An HTML page to pick when, with a form that posts `after`.'),
      ...answers('BadRequest', 'LinkInvalid'),
      '404': { description: 'The link’s account does not exist.', content: { 'application/problem+json': { schema: Problem } } },
      ...answers('LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/remind',
    operationId: 'remindFromLink',
    summary: 'Ask to be reminded later (from a link)',
    description:
      'The form of the remind page and of the usage page: schedules one email, `after` from now, skipped if the account is topped up before then. Answers with an HTML page.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    requestBody: {
      required: true,
      description: 'An HTML form post: `after=<duration>`; other fields are ignored.',
      content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['after'], properties: { after: ReminderDelay } } } },
    },
    responses: {
      '201': htmlPage('Scheduled: an HTML page saying when the reminder will come.'),
      '400': {
        description: 'A malformed `token` query, or a missing `after` or one that is not a duration in weeks, days, hours and minutes from 1 hour to 30 days.',
        content: { 'application/problem+json': { schema: ValidationProblem } },
      },
      '403': { $ref: '#/components/responses/LinkInvalid' },
      '404': { description: 'The link’s account does not exist.', content: { 'application/problem+json': { schema: Problem } } },
      ...answers('LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
];

/** What the code answers, as the document says; the code that builds each answer is typed with these. */
export type Reminder = z.output<typeof Reminder>;

export const remindersApi: FeatureApi = {
  requests: { ReminderRequest },
  // Also an answer's: the remind_later action of a 402 carries the body to send.
  responses: { ReminderDelay, Reminder },
  operations,
};

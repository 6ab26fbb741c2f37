import { z } from 'zod';
import { DIGEST_FREQUENCIES } from '../accounts/model.ts';
import { answers, described, type FeatureApi, htmlContent, htmlPage, ValidationProblem, withMeta } from '../http/openapi.ts';
import { alertSettingsPatch } from './settings-patch.ts';

export const AlertSettings = z
  .object({
    thresholds: z
      .array(z.int().min(1).max(99).meta({ description: 'A whole percentage of the baseline.' }))
      .min(1)
      .max(5)
      .meta({
        examples: [[50, 20, 5]],
        uniqueItems: true,
        description: 'Percentages of the baseline at which an alert email is sent, highest first. Each is sent once per crossing; a top-up re-arms them.',
      }),
    email: z.email().max(254).meta({ description: 'The recipient: the one set here, or the account’s email.' }),
    enabled: z.boolean().meta({ description: '`false` after an unsubscribe: no alert emails are sent.' }),
    digest: z.enum(DIGEST_FREQUENCIES).meta({
      description:
        'The usage digest: an email every week (Mondays, for the ISO week that ended) or month (the 1st, for the month that ended) with usage by operation, the change against the period before, balance and runway. Independent of `enabled`. Default `off`.',
    }),
    baseline: z
      .int()
      .min(0)
      .meta({ description: 'The balance right after the latest top-up or grant, which the thresholds are percentages of; 0 before the first.' }),
    unit: z.literal('credits'),
  })
  .meta({
    description:
      'The balance alert settings in force: the stored ones, or the defaults (on, at 50, 20 and 5 % of the baseline, to the account’s email, no usage digest).',
  });

export const AlertSettingsPatch = described(
  alertSettingsPatch,
  {
    thresholds: withMeta(alertSettingsPatch.shape.thresholds, {
      examples: [[50, 20, 5]],
      // The code refuses repeats with a refinement, which JSON Schema says this way.
      uniqueItems: true,
      description: '1–5 distinct whole percentages from 1 to 99, in any order; saved highest first.',
    }),
    email: 'Where alerts go instead of the account’s email.',
    enabled: '`false` stops alert emails; `true` turns them back on (also after an unsubscribe).',
    digest: 'Opt in to (or out of) the usage digest.',
  },
  { description: 'Any subset of the settings; fields left out keep their current value, and an empty body changes nothing.' },
);

/** The RFC 8058 one-click unsubscribe request, the body of both unsubscribe addresses. */
const oneClickBody = {
  required: false,
  description: 'Exactly `List-Unsubscribe=One-Click`, or nothing (surrounding whitespace is ignored).',
  content: {
    'application/x-www-form-urlencoded': {
      schema: { type: 'object', additionalProperties: false, properties: { 'List-Unsubscribe': { const: 'One-Click' } } },
    },
  },
};

/** What either unsubscribe address answers to anything but the one-click request. */
const oneClickRefused = {
  description:
    'A malformed `token` query (`application/problem+json`, as BadRequest), or a body other than the one-click request (`text/html`: a page saying this address only accepts the one-click unsubscribe; nothing was changed).',
  content: {
    'application/problem+json': { schema: ValidationProblem },
    ...htmlContent,
  },
};

const operations: FeatureApi['operations'] = [
  {
    method: 'GET',
    path: '/v1/alerts',
    operationId: 'getAlerts',
    summary: 'Show the alert settings',
    description: 'The balance alert settings of the API key’s account, with the baseline the thresholds apply to.',
    responses: {
      '200': { description: 'The settings in force.', content: { 'application/json': { schema: AlertSettings } } },
      ...answers('Unauthorized', 'Forbidden', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'PUT',
    path: '/v1/alerts',
    operationId: 'updateAlerts',
    summary: 'Change the alert settings',
    description: 'Sets any of the balance alert settings of the API key’s account and answers with the settings now in force.',
    requestBody: { required: false, content: { 'application/json': { schema: AlertSettingsPatch } } },
    responses: {
      '200': { description: 'The settings now in force.', content: { 'application/json': { schema: AlertSettings } } },
      ...answers('BadRequest', 'Unauthorized', 'Forbidden', 'PayloadTooLarge', 'UnsupportedMediaType', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'GET',
    path: '/v1/alerts/unsubscribe',
    operationId: 'showUnsubscribePage',
    summary: 'Show the unsubscribe page',
    description:
      'The page behind the “Stop these emails” link of an alert email. Opening it changes nothing (link scanners may fetch it); its button POSTs `List-Unsubscribe=One-Click` to this same address.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    responses: {
      '200': htmlPage('An HTML page asking to confirm, with a form that posts the one-click unsubscribe.'),
      ...answers('BadRequest', 'LinkInvalid', 'NotFound', 'LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/v1/alerts/unsubscribe',
    operationId: 'unsubscribeOneClick',
    summary: 'Unsubscribe from alert emails (one click)',
    description:
      'The RFC 8058 one-click unsubscribe: the address of the email’s `List-Unsubscribe` header (with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`), also posted by the button of the page. Turns alerts off (`enabled: false`) and keeps the thresholds and recipient; repeating it changes nothing more. Answers with an HTML page.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    requestBody: oneClickBody,
    responses: {
      '200': htmlPage('Unsubscribed: an HTML page confirming that no more balance alerts are sent.'),
      '400': oneClickRefused,
      ...answers('LinkInvalid', 'NotFound', 'LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'GET',
    path: '/v1/alerts/digest/unsubscribe',
    operationId: 'showDigestUnsubscribePage',
    summary: 'Show the page that stops the usage digest',
    description:
      'The page behind the “Stop the digest” link of a usage digest. Opening it changes nothing; its button POSTs `List-Unsubscribe=One-Click` to this same address.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    responses: {
      '200': htmlPage('An HTML page asking to confirm, with a form that posts the one-click unsubscribe.'),
      ...answers('BadRequest', 'LinkInvalid', 'NotFound', 'LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
  {
    method: 'POST',
    path: '/v1/alerts/digest/unsubscribe',
    operationId: 'unsubscribeDigestOneClick',
    summary: 'Stop the usage digest (one click)',
    description:
      'The RFC 8058 one-click unsubscribe of the usage digest (its `List-Unsubscribe` header, with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`), also posted by the page’s button. Sets `digest: "off"` and nothing else: balance alerts stay as they are. Answers with an HTML page.',
    parameters: [{ $ref: '#/components/parameters/LinkToken' }],
    requestBody: oneClickBody,
    responses: {
      '200': htmlPage('Stopped: an HTML page confirming that no more digests are sent.'),
      '400': oneClickRefused,
      ...answers('LinkInvalid', 'NotFound', 'LinkExpired', 'InternalError', 'ServiceUnavailable'),
    },
  },
];

/** What the code answers, as the document says; the code that builds each answer is typed with these. */
export type AlertSettings = z.output<typeof AlertSettings>;

export const alertsApi: FeatureApi = {
  requests: { AlertSettingsPatch },
  responses: { AlertSettings },
  operations,
};

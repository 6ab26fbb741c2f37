import { REPORT_PARAMETERS } from '../funnel/openapi.ts';
import type { DocValue, FeatureApi } from '../http/openapi.ts';

/** Every console answer is a page for people (errors too), or a redirect. */
const page = (description: string) => ({
  description,
  headers: {
    'Content-Security-Policy': { $ref: '#/components/headers/ContentSecurityPolicy' },
    'Referrer-Policy': { $ref: '#/components/headers/ReferrerPolicy' },
  },
  content: { 'text/html': { schema: { type: 'string', description: 'A small, self-contained HTML page (`text/html; charset=utf-8`), no script.' } } },
});
const seeOther = (description: string) => ({ description, headers: { Location: { description: 'Where to go next.', schema: { type: 'string' } } } });
const toSignIn = seeOther('No valid session (no cookie, or an expired or forged one): to /console/sign-in.');
const form = (fields: Record<string, DocValue>, required: string[]): DocValue => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', required, properties: fields } } },
});
const csrf = { csrf: { type: 'string', description: 'The CSRF token of the session, from the hidden field of the page’s form.' } };
const locale = { $ref: '#/components/parameters/Locale' };
const stale = page('The CSRF token is missing or wrong (a stale form, or one posted from another site): nothing changed.');
const errors = { '500': { $ref: '#/components/responses/InternalError' }, '503': { $ref: '#/components/responses/ServiceUnavailable' } };

const operations: FeatureApi['operations'] = [
  {
    method: 'GET',
    path: '/console',
    operationId: 'showConsole',
    summary: 'Show the operator console',
    description: 'The console’s home page: links to the copy editor of each locale.',
    responses: { '200': page('The home page.'), '303': toSignIn, ...errors },
  },
  {
    method: 'GET',
    path: '/console/sign-in',
    operationId: 'showConsoleSignIn',
    summary: 'Show the console’s sign-in form',
    description: 'A form that posts the admin key to POST /console/sign-in.',
    responses: { '200': page('The sign-in form.'), ...errors },
  },
  {
    method: 'POST',
    path: '/console/sign-in',
    operationId: 'signInToConsole',
    summary: 'Sign in to the console with the admin key',
    description:
      'Exchanges the admin key (compared in constant time) for a session cookie `tollgate_console`: signed, valid for one hour, `HttpOnly`, `SameSite=Strict`, `Path=/console`, and `Secure` unless the request came over plain http.',
    requestBody: form({ adminKey: { type: 'string', description: 'The admin key.' } }, ['adminKey']),
    responses: {
      '303': {
        description: 'Signed in: to /console, with the session cookie.',
        headers: {
          Location: { description: 'Always /console.', schema: { const: '/console' } },
          'Set-Cookie': { description: 'The session cookie.', schema: { type: 'string' } },
        },
      },
      '401': page('Not the admin key: the form again, saying so.'),

      ...errors,
    },
  },
  {
    method: 'POST',
    path: '/console/sign-out',
    operationId: 'signOutOfConsole',
    summary: 'Sign out of the console',
    description: 'Clears the session cookie and goes back to the sign-in form.',
    requestBody: form(csrf, ['csrf']),
    responses: {
      '303': {
        description: 'To /console/sign-in, with a cookie that clears the session.',
        headers: { Location: { description: 'Where to go next.', schema: { type: 'string' } } },
      },
      '403': stale,
      ...errors,
    },
  },
  {
    method: 'GET',
    path: '/console/copy/{locale}',
    operationId: 'showConsoleCopyEditor',
    summary: 'Show the copy editor of a locale',
    description:
      'Every message key with its default and a textarea holding the template in force, links to the preview of each surface, and the version history with a restore button per version.',
    parameters: [locale],
    responses: { '200': page('The editor.'), '303': toSignIn, '400': page('Not a locale of the catalogue.'), ...errors },
  },
  {
    method: 'POST',
    path: '/console/copy/{locale}',
    operationId: 'saveConsoleCopy',
    summary: 'Save the copy of a locale from the editor',
    description:
      'The editor’s form: `m:<key>` per message key. A field equal to the default, or emptied, means no override; keys left out keep theirs. Validated and versioned like PUT /v1/copy/{locale}, with author `console`.',
    parameters: [locale],
    requestBody: form({ ...csrf }, ['csrf']),
    responses: {
      '200': page('Saved: the editor, showing the new version.'),
      '303': toSignIn,
      '400': page('A template is invalid: the editor again, with what was typed and each problem naming its key; nothing saved.'),
      '403': stale,
      ...errors,
    },
  },
  {
    method: 'GET',
    path: '/console/copy/{locale}/preview',
    operationId: 'showConsoleCopyPreview',
    summary: 'Preview a surface in the copy in force',
    description: 'Renders a surface for a sample account, as POST /v1/copy/preview does, as a page.',
    parameters: [
      locale,
      {
        name: 'surface',
        in: 'query',
        required: false,
        schema: {
          type: 'string',
          enum: ['402', 'threshold-email', 'depletion-email', 'receipt-email', 'reminder-email', 'digest-email', 'usage-page', 'link-pages'],
          default: '402',
        },
      },
    ],
    responses: { '200': page('The preview.'), '303': toSignIn, '400': page('Not a locale or not a surface.'), ...errors },
  },
  {
    method: 'POST',
    path: '/console/copy/{locale}/versions/{version}/restore',
    operationId: 'restoreConsoleCopyVersion',
    summary: 'Restore an old version of a locale’s copy',
    description: 'As POST /v1/copy/{locale}/versions/{version}/restore, with author `console`; back to the editor.',
    parameters: [locale, { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
    requestBody: form(csrf, ['csrf']),
    responses: {
      '303': seeOther('Restored (or no session): to the editor (or to sign in).'),
      '400': page('Not a locale or a version number.'),
      '403': stale,
      '404': page('The locale has no such version.'),
      ...errors,
    },
  },
  {
    method: 'GET',
    path: '/console/accounts',
    operationId: 'showConsoleAccounts',
    summary: 'Find an account in the console',
    description:
      'Without `q`, the search form; with it, the account whose id or externalId is exactly `q`: name, email, plan, locale, balance and the 20 newest ledger entries.',
    parameters: [
      { name: 'q', in: 'query', required: false, description: 'An account id or an externalId (exact).', schema: { type: 'string', maxLength: 128 } },
    ],
    responses: {
      '200': page('The search form, and the account when found.'),
      '303': toSignIn,
      '400': page('`q` is not 1–128 printable characters without spaces.'),
      '404': page('No account has that id or externalId: the form again, saying so.'),
      ...errors,
    },
  },
  {
    method: 'GET',
    path: '/console/recovery',
    operationId: 'showConsoleRecoveryReport',
    summary: 'Show the recovery report in the console',
    description:
      'The page of GET /reports/recovery (SVG funnel and table by group, the numbers of GET /v1/reports/recovery), behind the console session instead of a signed link. Takes the same `from`, `to` and `groupBy`.',
    parameters: REPORT_PARAMETERS,
    responses: { '200': page('The report page.'), '303': toSignIn, '400': page('A bad window or grouping.'), ...errors },
  },
  {
    method: 'GET',
    path: '/console/copy/{locale}/variants',
    operationId: 'showConsoleCopyVariants',
    summary: 'Show the A/B variants of a locale',
    description:
      'Each variant with its weight and templates, the share that gets the base copy, the experiment’s on/off switch, and a form to add or change a variant.',
    parameters: [locale],
    responses: { '200': page('The variants.'), '303': toSignIn, '400': page('Not a locale of the catalogue.'), ...errors },
  },
  {
    method: 'POST',
    path: '/console/copy/{locale}/variants',
    operationId: 'saveConsoleCopyVariant',
    summary: 'Add or change a variant from the console',
    description:
      'As PUT /v1/copy/{locale}/variants/{variantId}, with author `console`: `variantId`, `weight` (a whole percent) and `messages`, one `key = template` per line. Starts an experiment when none runs.',
    parameters: [locale],
    requestBody: form(
      {
        ...csrf,
        variantId: { type: 'string', pattern: '^(?!control$)[a-z0-9][a-z0-9_-]{0,31}$' },
        weight: { type: 'integer', minimum: 0, maximum: 100 },
        messages: { type: 'string', description: 'One `key = template` per line.' },
      },
      ['csrf', 'variantId', 'weight', 'messages'],
    ),
    responses: {
      '303': seeOther('Saved (or no session): to the variants page (or to sign in).'),
      '400': page('A bad id, weight or template, or weights over 100 together: the form again, saying which; nothing saved.'),
      '403': stale,
      ...errors,
    },
  },
  {
    method: 'POST',
    path: '/console/copy/{locale}/experiment',
    operationId: 'switchConsoleCopyExperiment',
    summary: 'Turn a locale’s experiment on or off from the console',
    description: 'As PUT /v1/copy/{locale}/experiment, with author `console`: off returns everyone to the base copy; on again starts a new experiment.',
    parameters: [locale],
    requestBody: form({ ...csrf, enabled: { type: 'string', enum: ['true', 'false'] } }, ['csrf', 'enabled']),
    responses: {
      '303': seeOther('Switched (or no session): to the variants page (or to sign in).'),
      '400': page('`enabled` is not true or false, or not a locale.'),
      '403': stale,
      '404': page('The locale has no experiment yet.'),
      ...errors,
    },
  },
];

export const consoleApi: FeatureApi = { operations };

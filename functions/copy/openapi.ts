import { z } from 'zod';
import { answers, described, type FeatureApi, ValidationProblem } from '../http/openapi.ts';
import { InsufficientCredits } from '../recovery/openapi.ts';
import { localeSchema } from './locales-schema.ts';
import { SURFACES } from './preview.ts';
import {
  copyVersionsSchema,
  copyViewSchema,
  experimentSwitchSchema,
  experimentViewSchema,
  previewSchema,
  putCopySchema,
  putVariantSchema,
  restoreCopySchema,
} from './schemas.ts';
import { MAX_VARIANTS } from './variants.ts';

/** The code's locale schema, named once so every locale in the document refers to it. */
const Locale = { schema: localeSchema, meta: { description: 'A locale with a complete copy catalogue.' } };

const AUTHOR = 'Who made the change, for the history; `admin` when absent.';

export const CopyMessage = described(copyViewSchema.shape.messages.valueType, {
  default: 'The shipped template of this locale.',
  override: 'The operator’s template in force, when there is one.',
  placeholders: 'The placeholders the template may use; a trailing `?` marks one that may be left out.',
});

export const CopyCatalogue = described(copyViewSchema, {
  locale: localeSchema,
  version: z.int().min(0).meta({ description: 'The overrides’ version in force; 0 when none were ever saved.' }),
  updatedAt: z.iso.datetime().optional(),
  messages: z.record(z.string(), CopyMessage).meta({ description: 'Every message key of the catalogue.' }),
});

export const CopyVersion = described(copyVersionsSchema.shape.versions.element, {
  version: z.int().min(1),
  at: z.iso.datetime(),
  restoredFrom: z.int().min(1).optional(),
});

export const CopyVersions = described(copyVersionsSchema, {
  locale: localeSchema,
  versions: z.array(CopyVersion).meta({ description: 'Newest first, at most 50.' }),
});

export const CopyVariant = described(experimentViewSchema.shape.variants.valueType, {
  weight: z.int().min(0).max(100).meta({ description: 'Percent of accounts that get this variant.' }),
});

export const CopyExperiment = described(experimentViewSchema, {
  locale: localeSchema,
  id: 'The experiment id, recorded with the variant on each depletion episode (`copyExperiment`, `copyVariant`).',
  variants: z.record(z.string(), CopyVariant).meta({ maxProperties: MAX_VARIANTS }),
  controlWeight: z.int().min(0).max(100).meta({ description: 'Percent of accounts on the base copy.' }),
  updatedAt: z.iso.datetime().optional(),
});

export const CopyPutRequest = described(putCopySchema, {
  messages:
    'The whole set of overrides of the locale, by message key; keys left out show their default. Each template may use only its key’s placeholders and must keep the required ones.',
  author: AUTHOR,
});

export const CopyRestoreRequest = described(restoreCopySchema, { author: AUTHOR });

export const CopyVariantRequest = described(putVariantSchema, {
  messages: 'Overrides of any set of message keys, on top of the locale’s overrides; validated like `PUT /v1/copy/{locale}`.',
  weight: 'Percent of accounts. All variants’ weights add up to at most 100; the rest get the base copy (`control`).',
  author: AUTHOR,
});

export const CopyExperimentSwitch = described(experimentSwitchSchema, {
  enabled: 'false: everyone reads the base copy again. true: a new experiment with the same variants, accounts assigned afresh.',
  author: AUTHOR,
});

export const CopyPreviewRequest = described(previewSchema, {
  surface: 'Which surface to render: the 402, an email (HTML and text) or the pages of a flow.',
  locale: localeSchema,
  variant: 'A variant of the locale’s experiment; `control` or absent for the base copy.',
  messages: 'Unsaved templates on top of the saved overrides, validated like `PUT /v1/copy/{locale}`.',
});

/** What every preview says about itself: which surface, in which words. */
const previewOf = {
  surface: z.enum(SURFACES),
  locale: localeSchema,
  variant: z.string().meta({ description: 'The variant rendered; `control` for the base copy.' }),
};

export const CopyPreview = z
  .discriminatedUnion('kind', [
    z.object({ ...previewOf, kind: z.literal('problem'), body: InsufficientCredits }).meta({ description: '`402`: the problem+json body as sent.' }),
    z
      .object({
        ...previewOf,
        kind: z.literal('email'),
        subject: z.string(),
        text: z.string(),
        html: z.string(),
      })
      .meta({ description: 'The emails: the email as sent.' }),
    z
      .object({
        ...previewOf,
        kind: z.literal('pages'),
        pages: z.array(z.object({ id: z.string(), status: z.int(), html: z.string() })).meta({ description: 'Each page with its HTTP status.' }),
      })
      .meta({ description: '`usage-page` and `link-pages`: the pages as served.' }),
  ])
  .meta({ description: 'A surface rendered for a sample account; `kind` tells what it is (a problem body, an email, or pages).' });

const VALIDATION = 'Invalid input: an unknown locale or message key, a template with an unknown placeholder or without a required one (each named).';
const VARIANT_VALIDATION =
  'Invalid input: an unknown locale, variant id or message key, a template with an unknown placeholder or without a required one, more than 4 variants or weights over 100 (each named).';

const invalid = (description: string) => ({ description, content: { 'application/problem+json': { schema: ValidationProblem } } });
const answer = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': { schema } } });
const body = (schema: z.ZodType, required = true) => ({ required, content: { 'application/json': { schema } } });

/** The admin answers every copy operation shares. */
const adminErrors = answers('Unauthorized', 'Forbidden', 'InternalError', 'ServiceUnavailable');
const withBody = answers('PayloadTooLarge', 'UnsupportedMediaType');
const notFound = { '404': { $ref: '#/components/responses/NotFound' } };
const conflict = { '409': { $ref: '#/components/responses/Conflict' } };

const locale = { $ref: '#/components/parameters/Locale' };
const variantId = { $ref: '#/components/parameters/VariantId' };

const operations: FeatureApi['operations'] = [
  {
    method: 'GET',
    path: '/v1/copy/{locale}',
    operationId: 'getCopy',
    summary: 'The effective copy catalogue of a locale',
    description: 'Every message key with its default template and the operator’s override in force.',
    parameters: [locale],
    responses: { '200': answer('The catalogue.', CopyCatalogue), '400': invalid(VALIDATION), ...adminErrors },
  },
  {
    method: 'PUT',
    path: '/v1/copy/{locale}',
    operationId: 'putCopy',
    summary: 'Replace a locale’s copy overrides',
    description:
      'Saves a new version of the locale’s overrides (who and when are kept; earlier versions stay restorable). Every function uses it within `COPY_CACHE_TTL_SECONDS` (60 s). A template that fails to render later falls back to the default.',
    parameters: [locale],
    requestBody: body(CopyPutRequest),
    responses: { '200': answer('The catalogue with the new overrides.', CopyCatalogue), '400': invalid(VALIDATION), ...adminErrors, ...conflict, ...withBody },
  },
  {
    method: 'GET',
    path: '/v1/copy/{locale}/versions',
    operationId: 'listCopyVersions',
    summary: 'The history of a locale’s copy overrides',
    parameters: [locale],
    responses: { '200': answer('Versions, newest first.', CopyVersions), '400': invalid(VALIDATION), ...adminErrors },
  },
  {
    method: 'POST',
    path: '/v1/copy/{locale}/versions/{version}/restore',
    operationId: 'restoreCopyVersion',
    summary: 'Bring back an earlier version of a locale’s copy',
    description: 'Saves the old version’s overrides as a new version.',
    parameters: [locale, { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
    requestBody: body(CopyRestoreRequest, false),
    responses: {
      '200': answer('The catalogue with the restored overrides.', CopyCatalogue),
      '400': invalid(VALIDATION),
      ...adminErrors,
      ...notFound,
      ...conflict,
      ...withBody,
    },
  },
  {
    method: 'GET',
    path: '/v1/copy/{locale}/variants',
    operationId: 'getCopyExperiment',
    summary: 'A locale’s A/B experiment of copy variants',
    parameters: [locale],
    responses: { '200': answer('The locale’s experiment.', CopyExperiment), '400': invalid(VARIANT_VALIDATION), ...adminErrors },
  },
  {
    method: 'PUT',
    path: '/v1/copy/{locale}/variants/{variantId}',
    operationId: 'putCopyVariant',
    summary: 'Add or change a copy variant',
    description:
      'Up to 4 variants per locale. An account’s variant is the hash of the experiment id and the account id, recorded on its depletion episode the first time a surface speaks to it, and kept for the whole episode.',
    parameters: [locale, variantId],
    requestBody: body(CopyVariantRequest),
    responses: { '200': answer('The locale’s experiment.', CopyExperiment), '400': invalid(VARIANT_VALIDATION), ...adminErrors, ...conflict, ...withBody },
  },
  {
    method: 'DELETE',
    path: '/v1/copy/{locale}/variants/{variantId}',
    operationId: 'deleteCopyVariant',
    summary: 'Remove a copy variant',
    parameters: [locale, variantId],
    responses: { '200': answer('The locale’s experiment.', CopyExperiment), '400': invalid(VARIANT_VALIDATION), ...adminErrors, ...notFound, ...conflict },
  },
  {
    method: 'PUT',
    path: '/v1/copy/{locale}/experiment',
    operationId: 'switchCopyExperiment',
    summary: 'Switch a locale’s experiment off or on',
    parameters: [locale],
    requestBody: body(CopyExperimentSwitch),
    responses: {
      '200': answer('The locale’s experiment.', CopyExperiment),
      '400': invalid(VARIANT_VALIDATION),
      ...adminErrors,
      ...notFound,
      ...conflict,
      ...withBody,
    },
  },
  {
    method: 'POST',
    path: '/v1/copy/preview',
    operationId: 'previewCopy',
    summary: 'Render a surface with a sample account',
    description: 'The surface as it would be sent, in a locale, a variant and unsaved draft templates; nothing is sent or saved.',
    requestBody: body(CopyPreviewRequest),
    responses: {
      '200': answer('The rendered surface.', CopyPreview),
      '400': invalid(
        'Invalid input: an unknown surface, locale or message key, or a draft template with an unknown placeholder or without a required one (each named).',
      ),
      ...adminErrors,
      ...notFound,
      ...withBody,
    },
  },
];

/** What the code answers, as the document says; the routes type their answers with these. */
export type CopyCatalogue = z.output<typeof CopyCatalogue>;
export type CopyExperiment = z.output<typeof CopyExperiment>;

export const copyApi: FeatureApi = {
  requests: { CopyPutRequest, CopyRestoreRequest, CopyVariantRequest, CopyExperimentSwitch, CopyPreviewRequest },
  responses: { Locale, CopyMessage, CopyCatalogue, CopyVersion, CopyVersions, CopyVariant, CopyExperiment, CopyPreview },
  operations,
  components: {
    parameters: {
      Locale: { name: 'locale', in: 'path', required: true, schema: localeSchema },
      VariantId: { name: 'variantId', in: 'path', required: true, schema: { type: 'string', pattern: '^(?!control$)[a-z0-9][a-z0-9_-]{0,31}$' } },
    },
  },
};

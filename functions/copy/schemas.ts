import { z } from 'zod';
import { fields } from '../http/request.ts';
import { LOCALES } from './locales.ts';
import { SURFACES } from './preview.ts';
import { MAX_TEMPLATE_LENGTH } from './template.ts';

const template = z.string().max(MAX_TEMPLATE_LENGTH, `must be at most ${MAX_TEMPLATE_LENGTH} characters`);

/** `PUT /v1/copy/{locale}`: the whole set of overrides of the locale (keys left out show their default). */
export const putCopySchema = z.strictObject({
  messages: z.record(z.string().max(100), template),
  /** Who made the change, for the history. @default "admin" */
  author: z.optional(fields.text(100)),
});

/** `POST /v1/copy/{locale}/versions/{version}/restore`. */
export const restoreCopySchema = z.strictObject({ author: z.optional(fields.text(100)) });

const versionSummary = z.object({
  version: z.number().int(),
  by: z.string(),
  at: z.string(),
  action: z.enum(['put', 'restore']),
  restoredFrom: z.number().int().optional(),
  messages: z.record(z.string(), z.string()),
});

/** `GET /v1/copy/{locale}`: each key with its default and the override in force, if any. */
export const copyViewSchema = z.object({
  locale: z.enum(LOCALES),
  version: z.number().int(),
  updatedBy: z.string().optional(),
  updatedAt: z.string().optional(),
  messages: z.record(z.string(), z.object({ default: z.string(), override: z.string().optional(), placeholders: z.array(z.string()) })),
});

export const copyVersionsSchema = z.object({ locale: z.enum(LOCALES), versions: z.array(versionSummary) });

/** `PUT /v1/copy/{locale}/variants/{variantId}`: a variant's overrides and its share of accounts. */
export const putVariantSchema = z.strictObject({
  messages: z.record(z.string().max(100), template),
  /** Percent of accounts (0–100); all variants' weights add up to at most 100, the rest get the base copy. */
  weight: z.number({ error: 'must be a number' }).int('must be a whole percent').min(0).max(100),
  author: z.optional(fields.text(100)),
});

/** `PUT /v1/copy/{locale}/experiment`: switch the experiment off (everyone back to the base copy) or on again (assigned afresh). */
export const experimentSwitchSchema = z.strictObject({ enabled: z.boolean({ error: 'must be true or false' }), author: z.optional(fields.text(100)) });

export const experimentViewSchema = z.object({
  locale: z.enum(LOCALES),
  id: z.string().optional(),
  enabled: z.boolean(),
  variants: z.record(z.string(), z.object({ weight: z.number().int(), messages: z.record(z.string(), z.string()) })),
  controlWeight: z.number().int(),
  updatedBy: z.string().optional(),
  updatedAt: z.string().optional(),
});

/** `POST /v1/copy/preview`: a surface as it would be sent, in a locale, a variant, and unsaved draft overrides. */
export const previewSchema = z.strictObject({
  surface: z.enum(SURFACES, { error: `must be one of ${SURFACES.join(', ')}` }),
  locale: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }),
  variant: z.string().max(32).optional(),
  /** Templates not saved yet, on top of the saved overrides (and the variant's), validated like a PUT. */
  messages: z.record(z.string().max(100), template).optional(),
});

import { requireAdmin } from '../accounts/auth.ts';
import type { RouteMap } from '../http/handler.ts';
import { parseBody, pathParam } from '../http/request.ts';
import { json } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import type { Clock } from '../shared/clock.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { randomId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { logFallback } from './account-copy.ts';
import { forgetOverrides } from './cache.ts';
import type { MessageKey } from './catalogue/en.ts';
import { LOCALES, type Locale } from './locales.ts';
import type { CopyCatalogue, CopyExperiment } from './openapi.ts';
import { paramsOf } from './params.ts';
import { previewSurface } from './preview.ts';
import { CATALOGUES, copyFor, type Overrides } from './render.ts';
import { experimentSwitchSchema, previewSchema, putCopySchema, putVariantSchema, restoreCopySchema } from './schemas.ts';
import { type CopyVersion, copyVersion, copyVersions, currentExperiment, currentOverrides, saveExperiment, saveVersion } from './store.ts';
import { templateProblems } from './template.ts';
import { CONTROL, type Experiment, experimentProblems } from './variants.ts';

export interface CopyDeps {
  clock: Clock;
  pricing: PriceBook;
}

export const LOCALE = new RegExp(`^(${LOCALES.join('|')})$`);
export const VERSION = /^[1-9][0-9]{0,7}$/;
const VERSIONS_SHOWN = 50;
export const VARIANT_ID = /^(?!control$)[a-z0-9][a-z0-9_-]{0,31}$/;

/** Operators change the customer-facing copy as data: overrides per locale, versioned and restorable. */
export function copyRoutes(deps: CopyDeps): RouteMap {
  return {
    'GET /v1/copy/{locale}': async (event) => {
      await requireAdmin(event);
      const locale = localeOf(event);
      return json(200, copyView(locale, await currentOverrides(locale)));
    },
    'PUT /v1/copy/{locale}': async (event) => {
      await requireAdmin(event);
      const locale = localeOf(event);
      const { value } = parseBody(event, putCopySchema);
      assertTemplates(value.messages);
      const saved = await save(locale, value.messages as Overrides, value.author, deps, { action: 'put' });
      return json(200, copyView(locale, saved));
    },
    'GET /v1/copy/{locale}/versions': async (event) => {
      await requireAdmin(event);
      const locale = localeOf(event);
      return json(200, { locale, versions: (await copyVersions(locale, VERSIONS_SHOWN)).map(({ locale: _, ...version }) => version) });
    },
    'POST /v1/copy/preview': async (event) => {
      await requireAdmin(event);
      const { value } = parseBody(event, previewSchema);
      assertTemplates(value.messages ?? {});
      const [current, experiment] = await Promise.all([currentOverrides(value.locale), currentExperiment(value.locale)]);
      const variant = value.variant && value.variant !== CONTROL ? experiment?.variants[value.variant] : undefined;
      if (value.variant && value.variant !== CONTROL && !variant) throw new NotFoundError(`The ${value.locale} experiment has no variant "${value.variant}".`);
      const overrides = { ...current?.messages, ...variant?.messages, ...(value.messages as Overrides | undefined) };
      const copy = copyFor(value.locale, overrides, logFallback);
      const preview = previewSurface(value.surface, copy, deps.pricing, deps.clock.now());
      return json(200, { surface: value.surface, locale: value.locale, variant: value.variant ?? CONTROL, ...preview });
    },
    'GET /v1/copy/{locale}/variants': async (event) => {
      await requireAdmin(event);
      const locale = localeOf(event);
      return json(200, experimentView(locale, await currentExperiment(locale)));
    },
    'PUT /v1/copy/{locale}/variants/{variantId}': async (event) => {
      await requireAdmin(event);
      const locale = localeOf(event);
      const variantId = pathParam(event, 'variantId', VARIANT_ID);
      const { value } = parseBody(event, putVariantSchema);
      assertTemplates(value.messages);
      return json(200, experimentView(locale, await putVariant(locale, variantId, value.messages as Overrides, value.weight, value.author, deps)));
    },
    'DELETE /v1/copy/{locale}/variants/{variantId}': async (event) => {
      await requireAdmin(event);
      const locale = localeOf(event);
      const variantId = pathParam(event, 'variantId', VARIANT_ID);
      const current = await currentExperiment(locale);
      if (!current?.variants[variantId]) throw new NotFoundError(`The ${locale} experiment has no variant "${variantId}".`);
      const { [variantId]: _, ...variants } = current.variants;
      return json(200, experimentView(locale, await changeExperiment(locale, current, { ...current, variants }, undefined, deps)));
    },
    'PUT /v1/copy/{locale}/experiment': async (event) => {
      await requireAdmin(event);
      const locale = localeOf(event);
      const { value } = parseBody(event, experimentSwitchSchema);
      return json(200, experimentView(locale, await switchExperiment(locale, value.enabled, value.author, deps)));
    },
    'POST /v1/copy/{locale}/versions/{version}/restore': async (event) => {
      await requireAdmin(event);
      const locale = localeOf(event);
      const number = Number(pathParam(event, 'version', VERSION));
      const { value } = parseBody(event, restoreCopySchema);
      return json(200, copyView(locale, await restoreVersion(locale, number, value.author, deps)));
    },
  };
}

/** Adds or changes a variant (templates already validated), starting an experiment when none runs: the API and the console share it. */
export async function putVariant(locale: Locale, variantId: string, messages: Overrides, weight: number, author: string | undefined, deps: CopyDeps) {
  const current = await currentExperiment(locale);
  const running = current?.enabled ? current : undefined;
  const variants = { ...running?.variants, [variantId]: { messages, weight } };
  return changeExperiment(locale, current, { id: running?.id ?? randomId('exp'), enabled: true, variants }, author, deps);
}

/** Turns a locale's experiment on or off: the API and the console share it. */
export async function switchExperiment(locale: Locale, enabled: boolean, author: string | undefined, deps: CopyDeps) {
  const current = await currentExperiment(locale);
  if (!current) throw new NotFoundError(`The ${locale} copy has no experiment yet: add a variant first.`);
  // Switching on again is a new experiment: accounts are assigned afresh and episodes record the new id.
  const id = enabled && !current.enabled ? randomId('exp') : current.id;
  return changeExperiment(locale, current, { ...current, id, enabled }, author, deps);
}

/** Every template valid for its key, or a 400 naming each problem. */
function assertTemplates(messages: Record<string, string>): void {
  const problems = Object.entries(messages).flatMap(([key, template]) => templateProblems(key, template));
  if (problems.length > 0) {
    throw new ValidationError(
      problems.join('; '),
      problems.map((message) => ({ path: `body.messages.${message.split(':')[0]?.replace(/^"(.*)" is not a message key$/, '$1')}`, message })),
    );
  }
}

async function changeExperiment(
  locale: Locale,
  current: Experiment | undefined,
  next: Pick<Experiment, 'id' | 'enabled' | 'variants'>,
  author: string | undefined,
  deps: CopyDeps,
): Promise<Experiment> {
  const problems = experimentProblems(next.variants);
  if (problems.length > 0) throw new ValidationError(`The experiment cannot run: ${problems.join('; ')}.`);
  const saved: Experiment = { ...next, by: author ?? 'admin', at: deps.clock.now().toISOString(), revision: (current?.revision ?? 0) + 1 };
  await saveExperiment(locale, saved);
  forgetOverrides(locale);
  logger.info('copy experiment changed', {
    locale,
    experiment: saved.id,
    enabled: saved.enabled,
    by: saved.by,
    weights: Object.fromEntries(Object.entries(saved.variants).map(([id, v]) => [id, v.weight])),
  });
  return saved;
}

/** A locale's experiment as operators see it; `controlWeight` is the share that gets the base copy. */
export function experimentView(locale: Locale, experiment: Experiment | undefined): CopyExperiment {
  const weights = Object.values(experiment?.variants ?? {}).reduce((sum, v) => sum + v.weight, 0);
  return {
    locale,
    id: experiment?.id,
    enabled: experiment?.enabled ?? false,
    variants: experiment?.variants ?? {},
    controlWeight: experiment?.enabled ? 100 - weights : 100,
    updatedBy: experiment?.by,
    updatedAt: experiment?.at,
  };
}

function localeOf(event: HttpEvent): Locale {
  return pathParam(event, 'locale', LOCALE) as Locale;
}

/** Brings an old version back as a new one (the console's restore button uses it too). */
export async function restoreVersion(locale: Locale, number: number, author: string | undefined, deps: CopyDeps): Promise<CopyVersion> {
  const old = await copyVersion(locale, number);
  if (!old) throw new NotFoundError(`The ${locale} copy has no version ${number}.`);
  // Keys removed from the catalogue since that version are left out rather than refused.
  const messages = Object.fromEntries(Object.entries(old.messages).filter(([key, template]) => templateProblems(key, template ?? '').length === 0));
  return save(locale, messages, author, deps, { action: 'restore', restoredFrom: number });
}

/** Saves a locale's whole set of overrides as its next version (templates already validated): the API and the console share it. */
export async function save(
  locale: Locale,
  messages: Overrides,
  author: string | undefined,
  deps: CopyDeps,
  how: Pick<CopyVersion, 'action' | 'restoredFrom'>,
): Promise<CopyVersion> {
  const previous = (await currentOverrides(locale))?.version ?? 0;
  const next: CopyVersion = { locale, version: previous + 1, messages, by: author ?? 'admin', at: deps.clock.now().toISOString(), ...how };
  await saveVersion(next, previous);
  forgetOverrides(locale);
  // The audit trail: every change, who made it, and which keys it touched (the version item keeps the words).
  logger.info('copy changed', {
    locale,
    version: next.version,
    by: next.by,
    action: next.action,
    restoredFrom: next.restoredFrom,
    keys: Object.keys(messages),
  });
  return next;
}

/** The effective catalogue: every key with its default, and the override in force when there is one. */
export function copyView(locale: Locale, current: CopyVersion | undefined): CopyCatalogue {
  const defaults = CATALOGUES[locale];
  const messages = Object.fromEntries(
    (Object.keys(defaults) as MessageKey[]).map((key) => [
      key,
      { default: defaults[key], override: current?.messages[key], placeholders: [...paramsOf(key).values()].map((p) => `${p.name}${p.required ? '' : '?'}`) },
    ]),
  );
  return { locale, version: current?.version ?? 0, updatedBy: current?.by, updatedAt: current?.at, messages };
}

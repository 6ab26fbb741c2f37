import { config } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import type { Locale } from './locales.ts';
import type { Overrides } from './render.ts';
import { currentExperiment, currentOverrides } from './store.ts';
import type { Experiment } from './variants.ts';

/** What the operator set for a locale: its overrides and its experiment, if any. */
export interface LocaleCopy {
  overrides: Overrides;
  experiment?: Experiment;
}

const entries = new Map<Locale, { at: number; copy: Promise<LocaleCopy> }>();

/**
 * A locale's overrides and experiment, read from the table at most once per
 * `COPY_CACHE_TTL_SECONDS` per container, so a change reaches every surface within that time
 * without a read per request. A failed read is logged and yields the defaults.
 */
export function cachedLocaleCopy(locale: Locale, now = Date.now()): Promise<LocaleCopy> {
  const cached = entries.get(locale);
  if (cached && now - cached.at < config().COPY_CACHE_TTL_SECONDS * 1000) return cached.copy;
  const copy = Promise.all([currentOverrides(locale), currentExperiment(locale)]).then(
    ([current, experiment]) => ({ overrides: current?.messages ?? {}, experiment }),
    (error: unknown) => {
      logger.warn('copy overrides could not be read; using the default copy', { locale, error });
      entries.delete(locale);
      return { overrides: {} };
    },
  );
  entries.set(locale, { at: now, copy });
  return copy;
}

/** The locale's overrides, cached as above. */
export async function cachedOverrides(locale: Locale, now = Date.now()): Promise<Overrides> {
  return (await cachedLocaleCopy(locale, now)).overrides;
}

/** Forgets what was read, e.g. in this container right after saving a change. */
export function forgetOverrides(locale?: Locale): void {
  if (locale) entries.delete(locale);
  else entries.clear();
}

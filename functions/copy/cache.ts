import { config } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import type { Locale } from './locales.ts';
import type { Overrides } from './render.ts';
import { currentOverrides } from './store.ts';

interface Entry {
  at: number;
  overrides: Promise<Overrides>;
}

const entries = new Map<Locale, Entry>();

/**
 * The overrides of a locale, read from the table at most once per `COPY_CACHE_TTL_SECONDS` per
 * container, so a change reaches every surface within that time without a read per request.
 * A failed read is logged and yields no overrides: the defaults are always there.
 */
export function cachedOverrides(locale: Locale, now = Date.now()): Promise<Overrides> {
  const cached = entries.get(locale);
  if (cached && now - cached.at < config().COPY_CACHE_TTL_SECONDS * 1000) return cached.overrides;
  const overrides = currentOverrides(locale).then(
    (current) => current?.messages ?? {},
    (error: unknown) => {
      logger.warn('copy overrides could not be read; using the default copy', { locale, error });
      entries.delete(locale);
      return {};
    },
  );
  entries.set(locale, { at: now, overrides });
  return overrides;
}

/** Forgets what was read, e.g. in this container right after saving a change. */
export function forgetOverrides(locale?: Locale): void {
  if (locale) entries.delete(locale);
  else entries.clear();
}

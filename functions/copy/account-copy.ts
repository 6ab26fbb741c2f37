import { logger } from '../shared/logger.ts';
import { cachedLocaleCopy, cachedOverrides } from './cache.ts';
import { DEFAULT_LOCALE, isLocale, type Locale } from './locales.ts';
import { type Copy, copyFor, type FallbackListener } from './render.ts';
import { episodeVariant } from './store.ts';
import { assignVariant, CONTROL, withVariant } from './variants.ts';

/** What a surface knows of the account it speaks to. */
export interface CopyReader {
  id: string;
  locale?: string;
  /** The account's episode (the `seq` of its latest top-up): the variant sticks for it. */
  baselineSeq?: number;
}

/** The locale of an account's emails and pages. */
export function accountLocale(account: { locale?: string }): Locale {
  return isLocale(account.locale) ? account.locale : DEFAULT_LOCALE;
}

/** An override that cannot render is logged; the surface shows the default instead. */
export const logFallback: FallbackListener = (event) => logger.warn('copy override failed to render; using the default', event);

/** The copy of a locale as customers outside any experiment read it now: defaults with the operator's overrides (cached). */
export async function liveCopy(locale: Locale): Promise<Copy> {
  return copyFor(locale, await cachedOverrides(locale), logFallback);
}

/**
 * The copy an account reads in `locale` (its own by default): the locale's overrides and, while
 * an experiment runs, its variant's, the same for the whole depletion episode. Recording the
 * variant is a write only while an experiment runs; if it fails, the base copy is used.
 */
export async function accountCopy(account: CopyReader, locale: Locale = accountLocale(account)): Promise<Copy> {
  const { overrides, experiment } = await cachedLocaleCopy(locale);
  let variant: string | undefined;
  if (experiment?.enabled && Object.keys(experiment.variants).length > 0) {
    variant = await episodeVariant(account.id, account.baselineSeq ?? 0, experiment.id, assignVariant(account.id, experiment)).catch((error: unknown) => {
      logger.warn('copy variant could not be recorded; using the base copy', { accountId: account.id, error });
      return CONTROL;
    });
  }
  return { ...copyFor(locale, withVariant(overrides, experiment, variant), logFallback), variant };
}

import { logger } from '../shared/logger.ts';
import { cachedOverrides } from './cache.ts';
import { DEFAULT_LOCALE, isLocale, type Locale } from './locales.ts';
import { type Copy, copyFor, type FallbackListener } from './render.ts';

/** The locale of an account's emails and pages. */
export function accountLocale(account: { locale?: string }): Locale {
  return isLocale(account.locale) ? account.locale : DEFAULT_LOCALE;
}

/** An override that cannot render is logged; the surface shows the default instead. */
export const logFallback: FallbackListener = (event) => logger.warn('copy override failed to render; using the default', event);

/** The copy of a locale as customers read it now: defaults with the operator's overrides (cached). */
export async function liveCopy(locale: Locale): Promise<Copy> {
  return copyFor(locale, await cachedOverrides(locale), logFallback);
}

/** The copy an account reads in its emails and pages. */
export function accountCopy(account: { locale?: string }): Promise<Copy> {
  return liveCopy(accountLocale(account));
}

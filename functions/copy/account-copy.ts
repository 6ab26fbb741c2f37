import { DEFAULT_LOCALE, isLocale, type Locale } from './locales.ts';
import { type Copy, copyFor } from './render.ts';

/** The locale of an account's emails and pages. */
export function accountLocale(account: { locale?: string }): Locale {
  return isLocale(account.locale) ? account.locale : DEFAULT_LOCALE;
}

/** The copy an account reads in its emails and pages. */
export async function accountCopy(account: { locale?: string }): Promise<Copy> {
  return copyFor(accountLocale(account));
}

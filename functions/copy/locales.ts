/** The locales every surface speaks; each has a complete catalogue. */
export const LOCALES = ['en', 'de', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The `Intl` locales each catalogue formats with: English numbers in the US style, dates day-first. */
export const INTL: Record<Locale, { numbers: string; dates: string }> = {
  en: { numbers: 'en-US', dates: 'en-GB' },
  de: { numbers: 'de-DE', dates: 'de-DE' },
  fr: { numbers: 'fr-FR', dates: 'fr-FR' },
};

/**
 * The best match for an `Accept-Language` header (RFC 9110 §12.5.4): the highest-weighted range
 * whose primary language we speak (`de-CH` matches `de`); undefined when none does. `*` (what
 * many clients send by default) states no preference, so the account's own locale wins over it.
 */
export function negotiateLocale(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { range: range.trim().toLowerCase(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.range && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { range } of ranges) {
    const primary = range.split('-')[0];
    if (isLocale(primary)) return primary;
  }
  return undefined;
}

/** The locale to answer in: the request's best match, else the account's own, else English. */
export function chooseLocale(acceptLanguage: string | undefined, accountLocale?: string): Locale {
  return negotiateLocale(acceptLanguage) ?? (isLocale(accountLocale) ? accountLocale : DEFAULT_LOCALE);
}

import { de } from './catalogue/de.ts';
import { type Catalogue, en, type MessageKey } from './catalogue/en.ts';
import { fr } from './catalogue/fr.ts';
import { INTL, type Locale } from './locales.ts';
import { type Kind, paramsOf } from './params.ts';
import { templateProblems } from './template.ts';

export const CATALOGUES: Record<Locale, Catalogue> = { en, de, fr };

export interface Money {
  amount: string;
  currency: string;
}
export type Value = string | number | Money;
export type Values = Record<string, Value | undefined>;
type Unit = 'credit' | 'day' | 'request';
export type Overrides = Partial<Record<MessageKey, string>>;

/** Numbers, money and dates as people in the locale write them; dates in UTC, where usage is counted. */
export interface Formats {
  number(value: number): string;
  percent(value: number): string;
  money(value: Money): string;
  /** The price of one credit, to three significant digits. */
  perCredit(value: Money, credits: number): string;
  credits(value: number): string;
  unit(name: Unit, value: number): string;
  /** The unit's word alone, in the plural `value` takes. */
  unitWord(name: Unit, value: number): string;
  day(value: string | Date): string;
  date(value: string | Date): string;
  dateTime(value: string | Date): string;
  dayTime(value: string | Date): string;
  list(items: string[]): string;
}

/** The catalogue of one locale (with its overrides) ready to render. */
export interface Copy {
  locale: Locale;
  /** The A/B variant these words come from, while an experiment runs (`control` for the base copy). */
  variant?: string;
  t(key: MessageKey, values?: Values): string;
  format: Formats;
}

export type FallbackListener = (event: { locale: Locale; key: MessageKey; problem: string }) => void;

/**
 * The copy of a locale: its defaults, with the operator's overrides on top. Pure. An override
 * that cannot render (a placeholder it should not use, a value missing) never breaks the
 * surface: the default is rendered instead and `onFallback` hears about it.
 */
export function copyFor(locale: Locale, overrides: Overrides = {}, onFallback: FallbackListener = () => {}): Copy {
  const defaults = CATALOGUES[locale];
  const copy: Copy = {
    locale,
    format: formats(locale, (key) => copy.t(key)),
    t(key, values = {}) {
      const override = overrides[key];
      if (override !== undefined) {
        const problem = templateProblems(key, override)[0];
        if (!problem) {
          try {
            return fill(key, override, values, copy.format);
          } catch (error) {
            onFallback({ locale, key, problem: (error as Error).message });
          }
        } else onFallback({ locale, key, problem });
      }
      return fill(key, defaults[key], values, copy.format);
    },
  };
  return copy;
}

function fill(key: MessageKey, template: string, values: Values, format: Formats): string {
  const params = paramsOf(key);
  return template.replace(/\{([^{}]*)\}/g, (_, name: string) => {
    const param = params.get(name);
    if (!param) throw new Error(`${key}: unknown placeholder {${name}}`);
    const value = values[name];
    if (value === undefined) throw new Error(`${key}: no value for {${name}}`);
    return formatValue(param.kind, value, format);
  });
}

function formatValue(kind: Kind, value: Value, format: Formats): string {
  switch (kind) {
    case 'text':
      return String(value);
    case 'number':
      return format.number(Number(value));
    case 'credits':
      return format.unit('credit', Number(value));
    case 'days':
      return format.unit('day', Number(value));
    case 'requests':
      return format.unit('request', Number(value));
    case 'percent':
      return format.percent(Number(value));
    case 'date':
      return format.date(value as string);
    case 'dateTime':
      return format.dateTime(value as string);
    case 'money':
      return format.money(value as Money);
  }
}

function formats(locale: Locale, word: (key: MessageKey) => string): Formats {
  const { numbers, dates } = INTL[locale];
  const numberFormat = new Intl.NumberFormat(numbers);
  const percentFormat = new Intl.NumberFormat(numbers, { style: 'percent', maximumFractionDigits: 0 });
  const plurals = new Intl.PluralRules(numbers);
  const utc = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(dates, { timeZone: 'UTC', ...options });
  const dayMonth = utc({ day: 'numeric', month: 'short' });
  const dayMonthYear = utc({ day: 'numeric', month: 'short', year: 'numeric' });
  const dateTime = utc({ day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const dayTime = utc({ day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const list = new Intl.ListFormat(dates, { type: 'conjunction' });
  const asDate = (value: string | Date) => (typeof value === 'string' ? new Date(value) : value);
  const unitWord = (name: Unit, value: number) => word(`unit.${name}.${plurals.select(value) === 'one' ? 'one' : 'other'}`);
  const unit = (name: Unit, value: number) => `${numberFormat.format(value)} ${unitWord(name, value)}`;
  return {
    number: (value) => numberFormat.format(value),
    percent: (value) => percentFormat.format(value / 100),
    money: (value) => new Intl.NumberFormat(numbers, { style: 'currency', currency: value.currency }).format(Number(value.amount)),
    perCredit: (value, credits) =>
      new Intl.NumberFormat(numbers, { style: 'currency', currency: value.currency, maximumSignificantDigits: 3 }).format(Number(value.amount) / credits),
    credits: (value) => unit('credit', value),
    unit,
    unitWord,
    day: (value) => dayMonth.format(asDate(value)),
    date: (value) => dayMonthYear.format(asDate(value)),
    dateTime: (value) => `${dateTime.format(asDate(value))} UTC`,
    dayTime: (value) => dayTime.format(asDate(value)),
    list: (items) => list.format(items),
  };
}

import type { Money } from '../pricing/price-book.ts';

/** ISO 4217 currencies without a minor unit (Stripe's list of zero-decimal currencies). */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);

/**
 * A price-book amount ("5.00" USD) in the currency's smallest unit (500), as payment providers
 * take it. Exact: decimal strings are converted digit by digit, never through a float.
 */
export function minorUnits(money: Money): number {
  const digits = ZERO_DECIMAL.has(money.currency.toUpperCase()) ? 0 : 2;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(money.amount);
  if (!match) throw new Error(`Price "${money.amount}" is not a decimal amount.`);
  const fraction = match[2] ?? '';
  if (fraction.length > digits && /[1-9]/.test(fraction.slice(digits))) {
    throw new Error(`Price "${money.amount} ${money.currency}" has more decimals than ${money.currency} allows.`);
  }
  return Number(match[1]) * 10 ** digits + Number(fraction.slice(0, digits).padEnd(digits, '0') || '0');
}

/** An amount in the currency's smallest unit (500) as a price-book decimal string ("5.00"); the inverse of `minorUnits`. */
export function fromMinorUnits(amount: number, currency: string): Money {
  const digits = ZERO_DECIMAL.has(currency.toUpperCase()) ? 0 : 2;
  const whole = Math.trunc(amount / 10 ** digits);
  const fraction = digits > 0 ? `.${String(amount % 10 ** digits).padStart(digits, '0')}` : '';
  return { amount: `${whole}${fraction}`, currency: currency.toUpperCase() };
}

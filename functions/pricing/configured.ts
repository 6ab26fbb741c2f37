import { type PriceBook, parsePriceBookJson } from './price-book.ts';

/**
 * The deployment's price book, read and validated once per container. On AWS the stack bakes it
 * into each bundle at build time (esbuild `define` replaces `process.env.TOLLGATE_PRICE_BOOK`
 * with the JSON text, see `lib/price-book-source.ts`): Lambda caps all environment variables at
 * 4 KB together, and a real price book (dozens of operations, plans with provider price ids) can
 * take most of that on its own. Locally and in tests it is an ordinary environment variable.
 * Keep the expression written exactly `process.env.TOLLGATE_PRICE_BOOK`, or the define misses it.
 */
let cached: PriceBook | undefined;

export function priceBook(): PriceBook {
  if (!cached) {
    const text = process.env.TOLLGATE_PRICE_BOOK;
    if (!text)
      throw new Error('Missing price book: set TOLLGATE_PRICE_BOOK (the stack sets it from its priceBook prop or the tollgate:priceBook context key).');
    cached = parsePriceBookJson(text, 'TOLLGATE_PRICE_BOOK');
  }
  return cached;
}

/** For the local stack and tests, which set the variable before handlers run. */
export function resetPriceBook(): void {
  cached = undefined;
}

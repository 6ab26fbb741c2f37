import { type PriceBook, parsePriceBookJson } from './price-book.ts';

/**
 * The price book of a deployed function, baked into its bundle at synth: esbuild's `define` replaces this
 * identifier with the book's JSON text (`priceBookDefine` in `lib/price-book-source.ts`), after the stack validated
 * the book. Not an environment variable: Lambda caps all of a function's environment at 4 KB, and a real price book
 * (dozens of operations, plans with provider price ids) can take most of that on its own. Undefined when the code
 * runs from source (`npm start`, the tests), which read `TOLLGATE_PRICE_BOOK` instead.
 */
declare const TOLLGATE_BAKED_PRICE_BOOK: string | undefined;

let cached: PriceBook | undefined;

/**
 * The deployment's price book, read once per container. The baked book is only parsed: validating it again would
 * build the schemas and walk the book at every cold start, for a book the same schema accepted at synth. One from the
 * environment is validated.
 */
export function priceBook(): PriceBook {
  if (!cached) cached = typeof TOLLGATE_BAKED_PRICE_BOOK === 'string' ? (JSON.parse(TOLLGATE_BAKED_PRICE_BOOK) as PriceBook) : fromEnvironment();
  return cached;
}

function fromEnvironment(): PriceBook {
  const text = process.env.TOLLGATE_PRICE_BOOK;
  if (!text) throw new Error('Missing price book: set TOLLGATE_PRICE_BOOK (the stack bakes it from its priceBook prop or the tollgate:priceBook context key).');
  return parsePriceBookJson(text, 'TOLLGATE_PRICE_BOOK');
}

/** For the local stack and tests, which set the variable before handlers run. */
export function resetPriceBook(): void {
  cached = undefined;
}

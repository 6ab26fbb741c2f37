import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type PriceBook, PriceBookError, parsePriceBook, parsePriceBookJson } from '../functions/pricing/price-book.ts';

/**
 * Where a deployment's price book comes from: the object itself, or the path of a JSON file
 * (relative paths are resolved against the working directory, the project root when `cdk` runs).
 */
export type PriceBookSource = PriceBook | string;

/** Reads and validates a price book file; errors name the file and each bad field. */
export function readPriceBookFile(file: string, label = file): PriceBook {
  let text: string;
  try {
    text = readFileSync(path.resolve(file), 'utf8');
  } catch (error) {
    throw new PriceBookError(label, [`priceBook: cannot read ${path.resolve(file)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  return parsePriceBookJson(text, label);
}

/**
 * The validated price book of a source: a file path, or an object (checked whole, so a context
 * value of any shape is welcome here); `label` names the source in errors (a prop, a context key).
 */
export function resolvePriceBook(source: unknown, label: string): PriceBook {
  if (source === undefined) {
    throw new PriceBookError(label, [
      'priceBook: missing. Give TollgateStack a priceBook prop (the object or a JSON file path), or set the tollgate:priceBook context key (e.g. "tollgate.prices.json").',
    ]);
  }
  return typeof source === 'string' ? readPriceBookFile(source, `${label}: ${source}`) : parsePriceBook(source, label);
}

/**
 * The esbuild `define` that bakes the price book into a function's bundle, where `functions/pricing/configured.ts`
 * reads it as `TOLLGATE_BAKED_PRICE_BOOK` without validating it again: it is validated here, at synth (`label` names
 * it in the error), whichever construct it was given to. Not an environment variable: Lambda allows 4 KB of
 * environment in total, and a price book with forty operations and six plans with provider price ids already takes
 * about 2.4 KB of it.
 */
export function priceBookDefine(book: PriceBook, label: string): Record<string, string> {
  return { TOLLGATE_BAKED_PRICE_BOOK: JSON.stringify(JSON.stringify(parsePriceBook(book, label))) };
}

import path from 'node:path';
import { readPriceBookFile } from '../../lib/price-book-source.ts';

/** This repository's own price book (the demo app's): the file `npm start` and `cdk.json` use, validated. */
export const DEMO_PRICE_BOOK_FILE = path.resolve(import.meta.dirname, '../../tollgate.prices.json');
export const pricing = readPriceBookFile(DEMO_PRICE_BOOK_FILE);

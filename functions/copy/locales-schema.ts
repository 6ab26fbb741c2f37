import { z } from 'zod';
import { LOCALES } from './locales.ts';

/** A locale in a request body or path: one Tollgate has a complete catalogue for. */
export const localeSchema = z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` });

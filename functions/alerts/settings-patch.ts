import { DIGEST_FREQUENCIES } from '../accounts/model.ts';
import * as z from '../shared/schema.ts';

// Kept apart from settings.ts, which the metered path loads for the default thresholds: only the
// alerts route validates this body, so no other function's cold start builds the schema.
/** `PUT …/alerts` body: any subset of the settings. */
export const alertSettingsPatch = z.strictObject({
  thresholds: z.optional(
    z.pipe(
      z.array(z.number().check(z.int('must be whole percentages'), z.minimum(1, 'must be at least 1 %'), z.maximum(99, 'must be below 100 %'))).check(
        z.minLength(1, 'needs at least one threshold'),
        z.maxLength(5, 'allows at most 5 thresholds'),
        z.refine((list) => new Set(list).size === list.length, 'must not repeat a threshold'),
      ),
      z.transform((list: number[]) => [...list].sort((a, b) => b - a)),
    ),
  ),
  email: z.optional(z.email('must be an email address').check(z.maxLength(254))),
  enabled: z.optional(z.boolean()),
  digest: z.optional(z.enum(DIGEST_FREQUENCIES, { error: `must be one of ${DIGEST_FREQUENCIES.join(', ')}` })),
});

export type AlertSettingsPatch = z.infer<typeof alertSettingsPatch>;

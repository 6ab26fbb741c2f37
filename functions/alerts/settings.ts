import { type AccountItem, type AlertSettings, DIGEST_FREQUENCIES } from '../accounts/model.ts';
import * as z from '../shared/schema.ts';
import type { AlertSettings as AlertSettingsView } from './openapi.ts';

export const DEFAULT_THRESHOLDS = [50, 20, 5];

/** The settings in force: stored ones, or the defaults (on, 50/20/5 %, to the account's email, no digest). */
export function effectiveAlerts(account: Pick<AccountItem, 'alerts' | 'email'>): Required<AlertSettings> {
  return {
    thresholds: account.alerts?.thresholds ?? DEFAULT_THRESHOLDS,
    enabled: account.alerts?.enabled ?? true,
    email: account.alerts?.email ?? account.email,
    digest: account.alerts?.digest ?? 'off',
  };
}

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

export function alertsView(account: Pick<AccountItem, 'alerts' | 'email' | 'baseline'>): AlertSettingsView {
  const settings = effectiveAlerts(account);
  return { ...settings, baseline: account.baseline ?? 0, unit: 'credits' };
}

import type { AccountItem, AlertSettings } from '../accounts/model.ts';
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

export function alertsView(account: Pick<AccountItem, 'alerts' | 'email' | 'baseline'>): AlertSettingsView {
  const settings = effectiveAlerts(account);
  return { ...settings, baseline: account.baseline ?? 0, unit: 'credits' };
}

import { Lazy } from 'aws-cdk-lib';
import type { TollgateConfig } from './config.ts';

/** The settings {@link customerEnvironment} turns into environment variables. */
export type CustomerSettings = Pick<TollgateConfig, 'publicUrl' | 'billingUrl' | 'parkedQueryTtlHours' | 'idempotencyTtlHours' | 'linkTtlHours'>;

/**
 * What every function that answers customers needs at runtime (the 402 recovery answer, signed
 * links, idempotency records): the public base URL, the billing URL, the TTLs and the link lifetime.
 * The one source for the stack's own functions and for every `MeteredFunction`, so a team's
 * metered route answers exactly as Tollgate's own do.
 *
 * @param apiUrl the API's URL, read when the template is synthesized (the API is built after the
 *   functions it routes to); used unless `publicUrl` is configured
 */
export function customerEnvironment(settings: CustomerSettings, apiUrl: () => string): Record<string, string> {
  return {
    TOLLGATE_PUBLIC_URL: settings.publicUrl ?? Lazy.string({ produce: apiUrl }),
    PARKED_QUERY_TTL_HOURS: String(settings.parkedQueryTtlHours),
    IDEMPOTENCY_TTL_HOURS: String(settings.idempotencyTtlHours),
    LINK_TTL_HOURS: String(settings.linkTtlHours),
    ...(settings.billingUrl ? { BILLING_URL: settings.billingUrl } : {}),
  };
}

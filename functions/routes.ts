/**
 * The one route table. CDK builds the HTTP API from it, the local gateway serves it, and a test
 * checks both (and the OpenAPI document) against it, so they cannot drift apart.
 */
export const httpFunctions = {
  health: 'functions/health/handler.ts',
  accounts: 'functions/accounts/handler.ts',
  metering: 'functions/metering/handler.ts',
  usage: 'functions/usage/handler.ts',
  queries: 'functions/queries/handler.ts',
  alerts: 'functions/alerts/handler.ts',
  reminders: 'functions/reminders/handler.ts',
  payments: 'functions/payments/handler.ts',
  holds: 'functions/holds/handler.ts',
  reports: 'functions/funnel/handler.ts',
  webhooks: 'functions/webhooks/handler.ts',
} as const;

export type HttpFunctionName = keyof typeof httpFunctions;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `{name}` for a path parameter. */
  path: string;
  function: HttpFunctionName;
  /**
   * `link`: a signed, expiring token in the query string (links in emails and 402 answers).
   * `webhook`: no key; the payment provider's signature over the raw body is the authentication.
   * `console`: pages for operators; a signed session cookie (from signing in with the admin key) and a CSRF token on every form.
   */
  auth: 'none' | 'admin' | 'client' | 'link' | 'webhook' | 'console';
}

export const routes: readonly Route[] = [
  { method: 'GET', path: '/health', function: 'health', auth: 'none' },
  { method: 'POST', path: '/v1/accounts', function: 'accounts', auth: 'admin' },
  { method: 'GET', path: '/v1/accounts', function: 'accounts', auth: 'admin' },
  { method: 'GET', path: '/v1/accounts/{accountId}', function: 'accounts', auth: 'admin' },
  { method: 'PATCH', path: '/v1/accounts/{accountId}', function: 'accounts', auth: 'admin' },
  { method: 'POST', path: '/v1/accounts/{accountId}/keys', function: 'accounts', auth: 'admin' },
  { method: 'DELETE', path: '/v1/accounts/{accountId}/keys/{keyId}', function: 'accounts', auth: 'admin' },
  { method: 'POST', path: '/v1/accounts/{accountId}/top-ups', function: 'metering', auth: 'admin' },
  { method: 'POST', path: '/v1/accounts/{accountId}/debits', function: 'metering', auth: 'admin' },
  { method: 'POST', path: '/v1/debits', function: 'metering', auth: 'admin' },
  { method: 'GET', path: '/v1/accounts/{accountId}/ledger', function: 'metering', auth: 'admin' },
  { method: 'GET', path: '/v1/balance', function: 'usage', auth: 'client' },
  { method: 'GET', path: '/v1/prices', function: 'usage', auth: 'client' },
  { method: 'GET', path: '/v1/usage', function: 'usage', auth: 'client' },
  { method: 'GET', path: '/usage', function: 'usage', auth: 'link' },
  { method: 'POST', path: '/v1/queries', function: 'queries', auth: 'client' },
  { method: 'GET', path: '/v1/queries/{queryId}', function: 'queries', auth: 'client' },
  { method: 'POST', path: '/v1/queries/{queryId}/resume', function: 'queries', auth: 'client' },
  { method: 'GET', path: '/resume', function: 'queries', auth: 'link' },
  { method: 'POST', path: '/resume', function: 'queries', auth: 'link' },
  { method: 'PUT', path: '/v1/accounts/{accountId}/alerts', function: 'accounts', auth: 'admin' },
  { method: 'POST', path: '/v1/copy/preview', function: 'accounts', auth: 'admin' },
  { method: 'GET', path: '/v1/copy/{locale}', function: 'accounts', auth: 'admin' },
  { method: 'PUT', path: '/v1/copy/{locale}', function: 'accounts', auth: 'admin' },
  { method: 'GET', path: '/v1/copy/{locale}/versions', function: 'accounts', auth: 'admin' },
  { method: 'POST', path: '/v1/copy/{locale}/versions/{version}/restore', function: 'accounts', auth: 'admin' },
  { method: 'GET', path: '/v1/copy/{locale}/variants', function: 'accounts', auth: 'admin' },
  { method: 'PUT', path: '/v1/copy/{locale}/variants/{variantId}', function: 'accounts', auth: 'admin' },
  { method: 'DELETE', path: '/v1/copy/{locale}/variants/{variantId}', function: 'accounts', auth: 'admin' },
  { method: 'PUT', path: '/v1/copy/{locale}/experiment', function: 'accounts', auth: 'admin' },
  { method: 'GET', path: '/v1/alerts', function: 'alerts', auth: 'client' },
  { method: 'PUT', path: '/v1/alerts', function: 'alerts', auth: 'client' },
  { method: 'GET', path: '/v1/alerts/unsubscribe', function: 'alerts', auth: 'link' },
  { method: 'POST', path: '/v1/alerts/unsubscribe', function: 'alerts', auth: 'link' },
  { method: 'GET', path: '/v1/alerts/digest/unsubscribe', function: 'alerts', auth: 'link' },
  { method: 'POST', path: '/v1/alerts/digest/unsubscribe', function: 'alerts', auth: 'link' },
  { method: 'POST', path: '/v1/reminders', function: 'reminders', auth: 'client' },
  { method: 'DELETE', path: '/v1/reminders/{reminderId}', function: 'reminders', auth: 'client' },
  { method: 'GET', path: '/remind', function: 'reminders', auth: 'link' },
  { method: 'POST', path: '/remind', function: 'reminders', auth: 'link' },
  { method: 'GET', path: '/checkout', function: 'payments', auth: 'link' },
  { method: 'GET', path: '/checkout/done', function: 'payments', auth: 'link' },
  { method: 'POST', path: '/v1/webhooks/stripe', function: 'payments', auth: 'webhook' },
  { method: 'POST', path: '/v1/holds', function: 'holds', auth: 'client' },
  { method: 'GET', path: '/v1/holds/{holdId}', function: 'holds', auth: 'client' },
  { method: 'POST', path: '/v1/holds/{holdId}/settle', function: 'holds', auth: 'client' },
  { method: 'POST', path: '/v1/holds/{holdId}/release', function: 'holds', auth: 'client' },
  { method: 'GET', path: '/v1/reports/recovery', function: 'reports', auth: 'admin' },
  { method: 'POST', path: '/v1/reports/recovery/link', function: 'reports', auth: 'admin' },
  { method: 'GET', path: '/reports/recovery', function: 'reports', auth: 'link' },
  { method: 'POST', path: '/v1/jobs/digest/run', function: 'reports', auth: 'admin' },
  { method: 'GET', path: '/console', function: 'accounts', auth: 'console' },
  { method: 'GET', path: '/console/sign-in', function: 'accounts', auth: 'console' },
  { method: 'POST', path: '/console/sign-in', function: 'accounts', auth: 'console' },
  { method: 'POST', path: '/console/sign-out', function: 'accounts', auth: 'console' },
  { method: 'GET', path: '/console/copy/{locale}', function: 'accounts', auth: 'console' },
  { method: 'POST', path: '/console/copy/{locale}', function: 'accounts', auth: 'console' },
  { method: 'GET', path: '/console/copy/{locale}/preview', function: 'accounts', auth: 'console' },
  { method: 'POST', path: '/console/copy/{locale}/versions/{version}/restore', function: 'accounts', auth: 'console' },
  { method: 'GET', path: '/console/accounts', function: 'accounts', auth: 'console' },
  { method: 'GET', path: '/console/recovery', function: 'accounts', auth: 'console' },
  { method: 'GET', path: '/console/copy/{locale}/variants', function: 'accounts', auth: 'console' },
  { method: 'POST', path: '/console/copy/{locale}/variants', function: 'accounts', auth: 'console' },
  { method: 'POST', path: '/console/copy/{locale}/experiment', function: 'accounts', auth: 'console' },
  { method: 'POST', path: '/v1/webhook-endpoints', function: 'webhooks', auth: 'admin' },
  { method: 'GET', path: '/v1/webhook-endpoints', function: 'webhooks', auth: 'admin' },
  { method: 'GET', path: '/v1/webhook-endpoints/{endpointId}', function: 'webhooks', auth: 'admin' },
  { method: 'PATCH', path: '/v1/webhook-endpoints/{endpointId}', function: 'webhooks', auth: 'admin' },
  { method: 'DELETE', path: '/v1/webhook-endpoints/{endpointId}', function: 'webhooks', auth: 'admin' },
  { method: 'POST', path: '/v1/webhook-endpoints/{endpointId}/rotate-secret', function: 'webhooks', auth: 'admin' },
  { method: 'GET', path: '/v1/webhook-endpoints/{endpointId}/deliveries', function: 'webhooks', auth: 'admin' },
  { method: 'POST', path: '/v1/webhook-endpoints/{endpointId}/deliveries/{deliveryId}/retry', function: 'webhooks', auth: 'admin' },
];

/** Requests matching no route go to this function's `$default` route (a problem+json 404). */
export const defaultRouteFunction: HttpFunctionName = 'health';

/** `METHOD /path`; HEAD twins of GET routes are named the same way (`HEAD /health`). */
export const routeKey = (route: { method: Route['method'] | 'HEAD'; path: string }) => `${route.method} ${route.path}`;

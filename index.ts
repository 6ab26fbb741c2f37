/**
 * Tollgate: usage metering for APIs on AWS.
 *
 * Runtime (inside a Lambda handler):
 * - {@link meter}: middy middleware that meters a handler: debit before the work, replay for a
 *   retried `Idempotency-Key`, the standard 402 when short, refund when the work fails.
 *   In Lambda code prefer the `tollgate/meter` entry point, which keeps the CDK out of the bundle.
 *
 * Infrastructure (in a CDK app):
 * - {@link TollgateStack}: the whole deployment (table, API, functions, stream, secrets, SES, alarms).
 * - {@link MeteredFunction}: a Lambda function for a handler wrapped in `meter()`, with exactly the
 *   access it needs; {@link TollgateHttpApi.addMeteredRoute} puts it behind the Tollgate API.
 * - The building blocks the stack composes, one construct per file in `lib/`.
 *
 * @example
 * // handler.ts (Lambda)
 * import middy from '@middy/core';
 * import { meter } from 'tollgate/meter';
 * export const handler = middy().use(meter({ price: 'search' })).handler(async () => ({ statusCode: 200, headers: {}, body: '{}' }));
 *
 * // app.ts (CDK): bundles from your project (the nearest lock file above the working directory)
 * const tollgate = new TollgateStack(app, 'Tollgate');
 * const fn = new MeteredFunction(tollgate, 'Search', { entry: 'src/handler.ts', description: 'Search', tollgate: tollgate.resources });
 * tollgate.api.addMeteredRoute('POST', '/v1/search', fn);
 */

import { priceBookSchemas } from './functions/pricing/price-book.ts';

export type { DeferredPricing } from './functions/holds/meter-held.ts';
export type { HttpEvent, HttpResult } from './functions/http/types.ts';
export { type AccountRef, type DeferredMeterOptions, type MeteredResult, type MeterOptions, type MeterPrice, meter } from './functions/metering/meter.ts';
export { type PriceBook, PriceBookError, parsePriceBook } from './functions/pricing/price-book.ts';
export { EVENT_TYPES, type EventType, eventDataSchemas, type WebhookEvent, webhookEventSchema } from './functions/webhooks/events.ts';
export { createWebhookReceiver, RejectedWebhookError, type SeenIds, seenInMemory } from './functions/webhooks/receiver.ts';
export { ADMIN_KEY_SECRET_ARN_ENV, AdminKeySecret, type AdminKeySecretProps } from './lib/admin-key-secret.ts';
export { AlertEmail, type AlertEmailProps } from './lib/alert-email.ts';
export { BalanceStream, type BalanceStreamProps, streamFilters } from './lib/balance-stream.ts';
export { configFromContext, parseConfig, type RemovalPolicyName, type TollgateConfig } from './lib/config.ts';
export { type CustomerSettings, customerEnvironment } from './lib/customer-environment.ts';
export { GeneratedSecret, type GeneratedSecretProps } from './lib/generated-secret.ts';
export { LedgerTable, type LedgerTableProps } from './lib/ledger-table.ts';
export { LINK_SIGNING_SECRET_ARN_ENV, LinkSigningSecret, type LinkSigningSecretProps } from './lib/link-signing-secret.ts';
export { MeteredFunction, type MeteredFunctionProps, meteredTableAccess, type TollgateResources } from './lib/metered-function.ts';
export { Monitoring, type MonitoringProps } from './lib/monitoring.ts';
export { type FunctionSettings, findLockFile, type TableAccess, TollgateFunction, type TollgateFunctionProps } from './lib/tollgate-function.ts';
export { type MeteredRoute, TollgateHttpApi, type TollgateHttpApiProps } from './lib/tollgate-http-api.ts';
export { TollgateStack, type TollgateStackProps } from './lib/tollgate-stack.ts';
export { WebhookDelivery, type WebhookDeliveryProps } from './lib/webhook-delivery.ts';

/** The price book's `zod/mini` schema, to validate a book in your own tooling (`parsePriceBook` also names each bad field). */
export const priceBookSchema = priceBookSchemas().priceBook;

import { z } from 'zod';
import { answers, described, type FeatureApi, type Webhook } from '../http/openapi.ts';
import { EVENT_TYPES, type EventType, webhookEventSchema } from './events.ts';
import {
  createEndpointRequest,
  DELIVERY_ID,
  deliveryView,
  ENDPOINT_ID,
  endpointView,
  endpointWithSecretView,
  eventTypeSchema,
  updateEndpointRequest,
} from './model.ts';

export const CreateWebhookEndpointRequest = described(createEndpointRequest, {
  url: 'Where events are POSTed: https (plain http only to localhost, 127.0.0.1 or [::1] when WEBHOOK_ALLOW_LOOPBACK_HTTP is on, as in `npm start`).',
});

export const WebhookEndpoint = described(endpointView, {
  disabledReason: 'Why Tollgate disabled the endpoint (every delivery failed for WEBHOOK_DISABLE_AFTER_HOURS); PATCH `enabled: true` to enable it again.',
});

export const WebhookEndpointSecretRotated = endpointWithSecretView
  .extend({ previousSecretValidUntil: z.iso.datetime() })
  .meta({ description: 'The new secret; the old one keeps signing deliveries (a second signature) until previousSecretValidUntil.' });

export const WebhookEndpointList = z.object({ endpoints: z.array(WebhookEndpoint) });

export const WebhookDeliveryList = z.object({ deliveries: z.array(deliveryView) });

export type WebhookEndpointSecretRotated = z.output<typeof WebhookEndpointSecretRotated>;
export type WebhookEndpointList = z.output<typeof WebhookEndpointList>;
export type WebhookDeliveryList = z.output<typeof WebhookDeliveryList>;

/** `balance.threshold_crossed` → `BalanceThresholdCrossed`. */
const pascal = (type: EventType) =>
  type
    .split(/[._]/)
    .map((word) => `${word[0]?.toUpperCase()}${word.slice(1)}`)
    .join('');

/** Each event's envelope, with its `data` schema from events.ts, named `WebhookEvent<Type>`. */
const eventSchemas = Object.fromEntries(EVENT_TYPES.map((type) => [`WebhookEvent${pascal(type)}`, webhookEventSchema(type)]));

const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  'balance.threshold_crossed':
    'A balance change crossed an alert threshold (a percentage of the balance after the latest top-up) downward; once per threshold and episode.',
  'balance.depleted':
    'The first refusal for credits of an episode (a 402, or a refused admin debit): the shortfall and, for a query, the parked query to resume. Once per episode.',
  'query.parked': 'A query was refused for credits and parked: it can be resumed until `resumableUntil`.',
  'query.resumed': 'A parked query started running (resumed by the customer, a link, or auto-resume after a top-up).',
  'topup.completed': 'Credits were added: by the admin API, a paid checkout, or a plan grant.',
  'episode.recovered': 'A top-up or grant ended an episode that had a `balance.depleted`.',
  'plan.changed': 'The account moved to another plan.',
};

/** The Standard Webhooks headers every delivery carries. */
const SIGNATURE_HEADERS = [
  { name: 'webhook-id', in: 'header', required: true, description: 'The event id: the same on every retry; dedupe on it.', schema: { type: 'string' } },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Unix seconds of this attempt; refuse one more than 5 minutes off.',
    schema: { type: 'string' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description: '`v1,<base64 HMAC-SHA256 of id.timestamp.body>`; several, space-separated, during a secret rotation.',
    schema: { type: 'string' },
  },
];

const webhooks: Webhook[] = EVENT_TYPES.map((type) => ({
  name: type,
  method: 'POST',
  operation: {
    tags: ['webhooks'],
    operationId: `webhook${pascal(type)}`,
    summary: type,
    description: `${EVENT_DESCRIPTIONS[type]} Sent to every enabled endpoint subscribed to it, signed per Standard Webhooks, in order per account, retried with backoff for at least 24 hours.`,
    parameters: SIGNATURE_HEADERS,
    requestBody: { required: true, content: { 'application/json': { schema: eventSchemas[`WebhookEvent${pascal(type)}`] as z.ZodType } } },
    responses: { '200': { description: 'Any 2xx acknowledges the event; anything else, or no answer within 10 s, is retried.' } },
  },
}));

const ENDPOINT_ID_PARAMETER = { $ref: '#/components/parameters/EndpointId' };
const ok = (description: string, schema: z.ZodType) => ({ description, content: { 'application/json': { schema } } });
const clientErrors = answers('BadRequest', 'Unauthorized', 'Forbidden');
const notFound = { '404': { $ref: '#/components/responses/NotFound' } };
const bodyErrors = answers('PayloadTooLarge', 'UnsupportedMediaType');
const serverErrors = answers('InternalError', 'ServiceUnavailable');

const operations: FeatureApi['operations'] = [
  {
    method: 'POST',
    path: '/v1/webhook-endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Register a webhook endpoint',
    description:
      'Events are sent to `url`, signed per Standard Webhooks with the `whsec_…` secret in this answer — the only time it is shown. Omit `events` (or send `[]`) for every event type.',
    requestBody: { required: true, content: { 'application/json': { schema: CreateWebhookEndpointRequest } } },
    responses: {
      '201': {
        ...ok('Registered.', endpointWithSecretView),
        headers: { Location: { description: 'The endpoint’s path, `/v1/webhook-endpoints/{endpointId}`.', schema: { type: 'string' } } },
      },
      ...clientErrors,
      ...bodyErrors,
      ...serverErrors,
    },
  },
  {
    method: 'GET',
    path: '/v1/webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    summary: 'List webhook endpoints',
    description: 'Every endpoint, without secrets.',
    responses: { '200': ok('The endpoints.', WebhookEndpointList), ...clientErrors, ...serverErrors },
  },
  {
    method: 'GET',
    path: '/v1/webhook-endpoints/{endpointId}',
    operationId: 'getWebhookEndpoint',
    summary: 'Get a webhook endpoint',
    description: 'The endpoint, with `disabledReason` when Tollgate disabled it.',
    parameters: [ENDPOINT_ID_PARAMETER],
    responses: { '200': ok('The endpoint.', WebhookEndpoint), ...clientErrors, ...notFound, ...serverErrors },
  },
  {
    method: 'PATCH',
    path: '/v1/webhook-endpoints/{endpointId}',
    operationId: 'updateWebhookEndpoint',
    summary: 'Change a webhook endpoint',
    description: 'Changes its URL, event types or enabled flag. Enabling it again resets its circuit breaker and sends what is pending.',
    parameters: [ENDPOINT_ID_PARAMETER],
    requestBody: { required: true, content: { 'application/json': { schema: updateEndpointRequest } } },
    responses: { '200': ok('The endpoint as changed.', WebhookEndpoint), ...clientErrors, ...notFound, ...bodyErrors, ...serverErrors },
  },
  {
    method: 'DELETE',
    path: '/v1/webhook-endpoints/{endpointId}',
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete a webhook endpoint',
    description: 'Stops every delivery to it, at once.',
    parameters: [ENDPOINT_ID_PARAMETER],
    responses: { '204': { description: 'Deleted.' }, ...clientErrors, ...notFound, ...serverErrors },
  },
  {
    method: 'POST',
    path: '/v1/webhook-endpoints/{endpointId}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate the signing secret',
    description:
      'A new `whsec_…` secret, shown only here. Deliveries carry signatures with both the new and the old secret (space-separated, as Standard Webhooks allows) for WEBHOOK_SECRET_OVERLAP_HOURS (24 by default), so receivers can switch without losing an event.',
    parameters: [ENDPOINT_ID_PARAMETER],
    responses: { '200': ok('The new secret.', WebhookEndpointSecretRotated), ...clientErrors, ...notFound, ...serverErrors },
  },
  {
    method: 'GET',
    path: '/v1/webhook-endpoints/{endpointId}/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'List an endpoint’s deliveries',
    description: 'The latest deliveries (grouped by account), with status, attempts, next attempt and last error.',
    parameters: [ENDPOINT_ID_PARAMETER, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } }],
    responses: { '200': ok('The deliveries.', WebhookDeliveryList), ...clientErrors, ...notFound, ...serverErrors },
  },
  {
    method: 'POST',
    path: '/v1/webhook-endpoints/{endpointId}/deliveries/{deliveryId}/retry',
    operationId: 'retryWebhookDelivery',
    summary: 'Retry a delivery',
    description: 'Sends a delivered or failed delivery again, with the same `webhook-id` and body, and a fresh retry window. 409 when it is pending already.',
    parameters: [ENDPOINT_ID_PARAMETER, { $ref: '#/components/parameters/DeliveryId' }],
    responses: {
      '202': ok('Queued.', deliveryView),
      ...clientErrors,
      ...notFound,
      '409': { $ref: '#/components/responses/Conflict' },
      ...serverErrors,
    },
  },
];

export const webhooksApi: FeatureApi = {
  requests: { CreateWebhookEndpointRequest, UpdateWebhookEndpointRequest: updateEndpointRequest },
  responses: {
    WebhookEventType: { schema: eventTypeSchema, meta: { description: 'An outbound webhook event type.' } },
    WebhookEndpoint,
    WebhookEndpointCreated: endpointWithSecretView,
    WebhookEndpointSecretRotated,
    WebhookEndpointList,
    WebhookDelivery: deliveryView,
    WebhookDeliveryList,
    ...eventSchemas,
  },
  operations,
  webhooks,
  components: {
    parameters: {
      EndpointId: { name: 'endpointId', in: 'path', required: true, schema: { type: 'string', pattern: ENDPOINT_ID.source } },
      DeliveryId: { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string', pattern: DELIVERY_ID.source } },
    },
  },
};

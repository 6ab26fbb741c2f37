import { z } from 'zod';
import { EVENT_TYPES, type EventType } from './events.ts';

export const ENDPOINT_ID = /^whe_[A-Za-z0-9_-]{16}$/;
export const DELIVERY_ID = /^dlv_[A-Za-z0-9_-]{8,200}$/;

/** A receiver of webhook events. The signing secrets live in their own item (`EndpointSecrets`). */
export interface EndpointItem {
  id: string;
  url: string;
  /** Event types sent to it; empty means every type. */
  events: EventType[];
  enabled: boolean;
  /** Why Tollgate disabled it (absent when an admin did, or when it is enabled). */
  disabledReason?: string;
  createdAt: string;
  updatedAt: string;
  /** Circuit breaker: failed attempts since the last success, when that run of failures began, and until when no attempt is made. */
  consecutiveFailures?: number;
  failingSince?: string;
  openUntil?: string;
}

export interface EndpointSecrets {
  current: string;
  /** The secret before the latest rotation, still signing until `previousUntil`. */
  previous?: string;
  previousUntil?: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryItem {
  endpointId: string;
  accountId: string;
  /** The account's stream order (see `PlannedEvent.order`): deliveries of one account go out in this order. */
  order: string;
  eventId: string;
  eventType: EventType;
  /** The exact JSON sent, fixed at enqueue time. */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  /** Retries stop this long after it (the creation, or an admin's retry). */
  retryFrom: string;
  nextAttemptAt: string;
  /** A worker attempting it holds it until then. */
  leaseUntil?: string;
  lastError?: string;
  lastStatusCode?: number;
  deliveredAt?: string;
  createdAt: string;
}

export const eventTypeSchema = z.enum(EVENT_TYPES as [EventType, ...EventType[]]);

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https anywhere; plain http only to loopback and only where the setting allows it (the local stack). */
export function urlProblem(raw: string, allowLoopbackHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && allowLoopbackHttp && LOOPBACK.has(url.hostname)) return undefined;
  return allowLoopbackHttp ? 'must use https (plain http only to localhost, 127.0.0.1 or [::1])' : 'must use https';
}

const events = z.array(eventTypeSchema).max(EVENT_TYPES.length).describe('Event types to send; omitted or empty: all.');

export const createEndpointRequest = z.strictObject({
  url: z.string().max(2048),
  events: events.optional(),
  enabled: z.boolean().optional(),
});

export const updateEndpointRequest = z.strictObject({
  url: z.string().max(2048).optional(),
  events: events.optional(),
  enabled: z.boolean().optional(),
});

export const endpointView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(eventTypeSchema),
  enabled: z.boolean(),
  disabledReason: z.string().optional(),
  createdAt: z.string(),
});

/** `POST` and `rotate-secret` answers: the only places a secret is ever shown. */
export const endpointWithSecretView = endpointView.extend({ secret: z.string().describe('`whsec_…`: store it; it is not shown again.') });

export const deliveryView = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: eventTypeSchema,
  accountId: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.string().optional(),
  lastError: z.string().optional(),
  lastStatusCode: z.number().int().optional(),
  deliveredAt: z.string().optional(),
  createdAt: z.string(),
});

export function toEndpointView(endpoint: EndpointItem): z.infer<typeof endpointView> {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    enabled: endpoint.enabled,
    ...(endpoint.disabledReason ? { disabledReason: endpoint.disabledReason } : {}),
    createdAt: endpoint.createdAt,
  };
}

/** A delivery's public id names its key (account and order), so a retry finds it with one read. */
export const deliveryIdOf = (delivery: Pick<DeliveryItem, 'accountId' | 'order'>) =>
  `dlv_${Buffer.from(`${delivery.accountId}#${delivery.order}`).toString('base64url')}`;

export function deliveryKeyOf(deliveryId: string): { accountId: string; order: string } | undefined {
  const [accountId, order, extra] = Buffer.from(deliveryId.slice(4), 'base64url').toString('utf8').split('#');
  return accountId && order && extra === undefined ? { accountId, order } : undefined;
}

export function toDeliveryView(delivery: DeliveryItem): z.infer<typeof deliveryView> {
  return {
    id: deliveryIdOf(delivery),
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    accountId: delivery.accountId,
    status: delivery.status,
    attempts: delivery.attempts,
    ...(delivery.status === 'pending' ? { nextAttemptAt: delivery.nextAttemptAt } : {}),
    ...(delivery.lastError ? { lastError: delivery.lastError } : {}),
    ...(delivery.lastStatusCode ? { lastStatusCode: delivery.lastStatusCode } : {}),
    ...(delivery.deliveredAt ? { deliveredAt: delivery.deliveredAt } : {}),
    createdAt: delivery.createdAt,
  };
}

import { z } from 'zod';
import { requireAdmin } from '../accounts/auth.ts';
import type { RouteMap } from '../http/handler.ts';
import { parseBody, parseQuery, pathParam, validate } from '../http/request.ts';
import { json, noContent } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import { addHours, type Clock } from '../shared/clock.ts';
import { config } from '../shared/config.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { randomId } from '../shared/ids.ts';
import {
  createEndpointRequest,
  DELIVERY_ID,
  deliveryKeyOf,
  ENDPOINT_ID,
  type EndpointItem,
  toDeliveryView,
  toEndpointView,
  updateEndpointRequest,
  urlProblem,
} from './model.ts';
import type { WebhookDeliveryList, WebhookEndpointList, WebhookEndpointSecretRotated } from './openapi.ts';
import { deliveryQueue } from './queue.ts';
import {
  deleteEndpoint,
  findDelivery,
  findEndpoint,
  listDeliveries,
  listEndpoints,
  newSecret,
  pendingPairs,
  putEndpoint,
  requeueDelivery,
  rotateSecret,
  updateEndpoint,
} from './store.ts';

export interface WebhookRouteDeps {
  clock: Clock;
}

const deliveriesQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50) });

/** The URL rule, with the problem named like any other validation error. */
function checkUrl(url: string): string {
  const problem = urlProblem(url, config().WEBHOOK_ALLOW_LOOPBACK_HTTP === 'on');
  if (problem) validate(z.never({ error: problem }), url, 'body.url');
  return url;
}

async function endpointOf(event: HttpEvent): Promise<EndpointItem> {
  const id = pathParam(event, 'endpointId', ENDPOINT_ID);
  const endpoint = await findEndpoint(id);
  if (!endpoint) throw new NotFoundError(`There is no webhook endpoint "${id}".`);
  return endpoint;
}

/** Queues every account with pending deliveries for this endpoint (after it is enabled again). */
async function kickEndpoint(endpointId: string): Promise<void> {
  const queue = deliveryQueue();
  if (!queue) return;
  for (const accountId of await pendingPairs(endpointId)) await queue.send({ endpointId, accountId }, 0);
}

/** Admin: outbound webhook endpoints, their secrets and their deliveries. */
export function webhookRoutes(deps: WebhookRouteDeps): RouteMap {
  return {
    'POST /v1/webhook-endpoints': async (event) => {
      await requireAdmin(event);
      const { value } = parseBody(event, createEndpointRequest);
      const now = deps.clock.now().toISOString();
      const endpoint: EndpointItem = {
        id: randomId('whe'),
        url: checkUrl(value.url),
        events: value.events ?? [],
        enabled: value.enabled ?? true,
        createdAt: now,
        updatedAt: now,
      };
      const secret = newSecret();
      await putEndpoint(endpoint, secret);
      return json(201, { ...toEndpointView(endpoint), secret }, { Location: `/v1/webhook-endpoints/${endpoint.id}` });
    },
    'GET /v1/webhook-endpoints': async (event) => {
      await requireAdmin(event);
      return json(200, { endpoints: (await listEndpoints()).map(toEndpointView) } satisfies WebhookEndpointList);
    },
    'GET /v1/webhook-endpoints/{endpointId}': async (event) => {
      await requireAdmin(event);
      return json(200, toEndpointView(await endpointOf(event)));
    },
    'PATCH /v1/webhook-endpoints/{endpointId}': async (event) => {
      await requireAdmin(event);
      const endpoint = await endpointOf(event);
      const { value } = parseBody(event, updateEndpointRequest);
      const enabling = value.enabled === true && !endpoint.enabled;
      const fields: Partial<EndpointItem> = {
        ...(value.url !== undefined ? { url: checkUrl(value.url) } : {}),
        ...(value.events !== undefined ? { events: value.events } : {}),
        ...(value.enabled !== undefined ? { enabled: value.enabled } : {}),
        // Enabled again: a clean breaker, and no reason left from the last disabling.
        ...(enabling ? { consecutiveFailures: 0 } : {}),
        updatedAt: deps.clock.now().toISOString(),
      };
      if (!(await updateEndpoint(endpoint.id, fields, enabling ? ['disabledReason', 'failingSince', 'openUntil'] : []))) {
        throw new NotFoundError(`There is no webhook endpoint "${endpoint.id}".`);
      }
      if (enabling) await kickEndpoint(endpoint.id);
      return json(200, toEndpointView({ ...endpoint, ...fields, ...(enabling ? { disabledReason: undefined } : {}) }));
    },
    'DELETE /v1/webhook-endpoints/{endpointId}': async (event) => {
      await requireAdmin(event);
      const id = pathParam(event, 'endpointId', ENDPOINT_ID);
      if (!(await deleteEndpoint(id))) throw new NotFoundError(`There is no webhook endpoint "${id}".`);
      return noContent();
    },
    'POST /v1/webhook-endpoints/{endpointId}/rotate-secret': async (event) => {
      await requireAdmin(event);
      const endpoint = await endpointOf(event);
      const secret = newSecret();
      const previousUntil = addHours(deps.clock.now(), config().WEBHOOK_SECRET_OVERLAP_HOURS);
      await rotateSecret(endpoint.id, secret, previousUntil);
      return json(200, { ...toEndpointView(endpoint), secret, previousSecretValidUntil: previousUntil.toISOString() } satisfies WebhookEndpointSecretRotated);
    },
    'GET /v1/webhook-endpoints/{endpointId}/deliveries': async (event) => {
      await requireAdmin(event);
      const endpoint = await endpointOf(event);
      const { limit } = parseQuery(event, deliveriesQuery);
      return json(200, { deliveries: (await listDeliveries(endpoint.id, limit)).map(toDeliveryView) } satisfies WebhookDeliveryList);
    },
    'POST /v1/webhook-endpoints/{endpointId}/deliveries/{deliveryId}/retry': async (event) => {
      await requireAdmin(event);
      const endpoint = await endpointOf(event);
      const deliveryId = pathParam(event, 'deliveryId', DELIVERY_ID);
      const key = deliveryKeyOf(deliveryId);
      const delivery = key && (await findDelivery(endpoint.id, key.accountId, key.order));
      if (!delivery) throw new NotFoundError(`Webhook endpoint "${endpoint.id}" has no delivery "${deliveryId}".`);
      const now = deps.clock.now();
      if (!(await requeueDelivery(delivery, now)))
        throw new ConflictError(`Delivery "${deliveryId}" is already pending; it will be attempted at ${delivery.nextAttemptAt}.`);
      await deliveryQueue()?.send({ endpointId: endpoint.id, accountId: delivery.accountId }, 0);
      return json(202, toDeliveryView({ ...delivery, status: 'pending', nextAttemptAt: now.toISOString(), retryFrom: now.toISOString() }));
    },
  };
}

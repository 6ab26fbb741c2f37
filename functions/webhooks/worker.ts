import { type DeliverDeps, deliverPending } from './deliver.ts';
import type { DeliveryMessage, DeliveryQueue } from './queue.ts';

/**
 * Handles one delivery message: sends what is due, and when something is left (a retry, an
 * open circuit), puts the message back on the queue for then. A message that arrives early
 * (a wait longer than the queue's longest delay) simply goes back again.
 */
export async function workOn(message: DeliveryMessage, queue: DeliveryQueue, deps: DeliverDeps): Promise<void> {
  const outcome = await deliverPending(message.endpointId, message.accountId, deps);
  if (outcome.retryAt) await queue.send(message, Math.max(0, (outcome.retryAt.getTime() - deps.clock.now().getTime()) / 1000));
}

import type { DeliveryMessage, DeliveryQueue } from '../functions/webhooks/queue.ts';
import { listEndpoints, pendingPairs } from '../functions/webhooks/store.ts';

/** How long a message whose handling threw waits before it is handled again (SQS: the visibility timeout). */
const REDELIVERY_MS = 1_000;

/**
 * The local stand-in for the SQS delivery queue: messages wait out their delay in a timer and
 * are then handed to `work` (the delivery worker, in-process). A message whose handling throws
 * comes back later, as SQS would bring it back. Only messages live in memory: deliveries live in
 * the table, and `requeuePending` finds them again after a restart.
 */
export class LocalDeliveryQueue implements DeliveryQueue {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  private readonly work: (message: DeliveryMessage, queue: DeliveryQueue) => Promise<void>;

  constructor(work: (message: DeliveryMessage, queue: DeliveryQueue) => Promise<void>) {
    this.work = work;
  }

  async send(message: DeliveryMessage, delaySeconds: number): Promise<void> {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = this.work(message, this)
        .catch((error) => {
          console.error('[webhooks] delivery message failed; it will come back', error);
          return this.send(message, REDELIVERY_MS / 1000);
        })
        .finally(() => this.running.delete(run));
      this.running.add(run);
    }, delaySeconds * 1000);
    this.timers.add(timer);
  }

  /** Queues every (endpoint, account) with a pending delivery: what a restart forgot. */
  async requeuePending(): Promise<void> {
    for (const endpoint of await listEndpoints()) {
      if (!endpoint.enabled) continue;
      for (const accountId of await pendingPairs(endpoint.id)) await this.send({ endpointId: endpoint.id, accountId }, 0);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}

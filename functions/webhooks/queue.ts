import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { config } from '../shared/config.ts';

/** "Work on this endpoint's deliveries for this account": the message the delivery worker takes. */
export interface DeliveryMessage {
  endpointId: string;
  accountId: string;
}

/** Carries delivery messages off the request path (SQS on AWS, the local stack's in-process queue). */
export interface DeliveryQueue {
  send(message: DeliveryMessage, delaySeconds: number): Promise<void>;
}

/** SQS delays a message by at most 15 minutes; a longer wait is several hops (the worker re-sends until due). */
export const MAX_DELAY_SECONDS = 900;

let local: DeliveryQueue | undefined;
let sqs: DeliveryQueue | undefined;

/** The local stack (and tests) deliver in-process: they register their queue here. */
export function useLocalDeliveryQueue(queue: DeliveryQueue | undefined): void {
  local = queue;
}

/** The queue in force: the registered local one, else SQS (`WEBHOOK_QUEUE_URL`), else none (deliveries wait in the table for a sweep). */
export function deliveryQueue(): DeliveryQueue | undefined {
  if (local) return local;
  const queueUrl = config().WEBHOOK_QUEUE_URL;
  if (!queueUrl) return undefined;
  if (!sqs) {
    const client = new SQSClient({});
    sqs = {
      send: async (message, delaySeconds) => {
        await client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: JSON.stringify(message),
            DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
          }),
        );
      },
    };
  }
  return sqs;
}

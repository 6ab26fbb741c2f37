import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { httpHandler } from '../http/handler.ts';
import { systemClock } from '../shared/clock.ts';
import { logger, withLogsWritten } from '../shared/logger.ts';
import { metrics } from '../shared/metrics.ts';
import { deliveryQueue } from './queue.ts';
import { webhookRoutes } from './routes.ts';
import { workOn } from './worker.ts';

/** HTTP (admin): webhook endpoints and their deliveries. */
export const handler = httpHandler(webhookRoutes({ clock: systemClock }));

/**
 * SQS: the delivery worker. A message that fails (DynamoDB unreachable) is reported and comes
 * back after the visibility timeout; after the queue's receive limit it lands in the DLQ.
 * A receiver's failure is not a message failure: it is recorded and the message re-queued for the retry.
 */
export const deliver = withLogsWritten(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const queue = deliveryQueue();
  if (!queue) throw new Error('Missing configuration: set WEBHOOK_QUEUE_URL.');
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await workOn(JSON.parse(record.body), queue, { clock: systemClock });
    } catch (error) {
      logger.error('webhook delivery message failed; it will come back', { error, messageId: record.messageId });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return { batchItemFailures: failures };
});

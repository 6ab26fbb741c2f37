import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUSINESS_METRICS } from '../functions/shared/metrics-names.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { type FunctionSettings, METRICS_NAMESPACE, SERVICE_NAME, TollgateFunction, tollgateEntry } from './tollgate-function.ts';

export interface WebhookDeliveryProps extends FunctionSettings {
  /** The ledger table: endpoints, events and deliveries live in it. */
  readonly table: ITable;
  /** Extra environment of the delivery function (the webhook settings of `functions/shared/config.ts`). @default none */
  readonly environment?: Record<string, string>;
}

/** One run of the worker sends at most this many events (10 s each at worst) before it re-queues itself. */
const WORKER_TIMEOUT = Duration.minutes(3);

/**
 * Outbound webhook delivery, off every request path: the stream consumer records each event's
 * deliveries in the table and sends `{ endpointId, accountId }` to an encrypted SQS queue; the
 * delivery function (`functions/webhooks/handler.ts` `deliver`) sends that account's pending
 * events to that endpoint in order, and after a receiver's failure re-queues the message with
 * the backoff delay (hops of at most 15 minutes until the retry is due). A message whose
 * handling throws (DynamoDB unreachable) comes back after the visibility timeout and, after 5
 * receives, lands in the dead-letter queue (alarm it through `Monitoring`). The deliveries
 * themselves stay in the table, so nothing is lost either way.
 *
 * Alarms: deliveries given up after the retry window, and endpoints disabled for failing too long.
 */
export class WebhookDelivery extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly function: TollgateFunction;
  /** Give them an action (the stack adds the alarm topic). */
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: 'webhook delivery messages whose handling failed 5 times (the deliveries wait in the table)',
      removalPolicy: props.removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      // Six times the function's timeout, as Lambda advises for queues it polls.
      visibilityTimeout: Duration.minutes(WORKER_TIMEOUT.toMinutes() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
      removalPolicy: (props.removalPolicy ?? 'retain') === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.function = new TollgateFunction(this, 'Function', {
      ...props,
      entry: tollgateEntry('functions/webhooks/handler.ts'),
      handler: 'deliver',
      description: 'Webhook delivery (SQS): sends pending events to an endpoint, in order per account, with retries and a circuit breaker.',
      timeout: WORKER_TIMEOUT,
      memorySize: 512,
    });
    this.function.bindTable(props.table, 'RW');
    this.grantEnqueue(this.function);
    this.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));

    const business = (metricName: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', period: Duration.minutes(5) });
    const alarm = (name: string, metricName: string, description: string) =>
      new Alarm(this, name, {
        metric: business(metricName),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    this.alarms = [
      alarm(
        'EndpointDisabledAlarm',
        BUSINESS_METRICS.webhookEndpointsDisabled,
        'A webhook endpoint failed too long and was disabled: see disabledReason in GET /v1/webhook-endpoints.',
      ),
      alarm(
        'DeliveryFailedAlarm',
        BUSINESS_METRICS.webhooksFailed,
        'A webhook delivery was given up after its retry window: retry it with POST …/deliveries/{id}/retry.',
      ),
    ];
  }

  /** Lets `fn` queue deliveries (the stream consumer, the admin API's retry) and tells it where. */
  grantEnqueue(fn: TollgateFunction): void {
    this.queue.grantSendMessages(fn);
    fn.addEnvironment('WEBHOOK_QUEUE_URL', this.queue.queueUrl);
  }
}

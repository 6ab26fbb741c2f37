import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type FunctionSettings, TollgateFunction, tollgateEntry } from './tollgate-function.ts';

export interface BalanceStreamProps extends FunctionSettings {
  /** The ledger table; its stream feeds the consumer. */
  readonly table: ITable;
  /** Extra environment of the consumer (runtime settings such as `BILLING_URL`). @default none */
  readonly environment?: Record<string, string>;
  /**
   * Attempts per batch before a record is given up and sent to the on-failure queue.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the on-failure queue instead of being retried.
   * @default 6 hours
   */
  readonly maxRecordAge?: Duration;
}

/**
 * What wakes the consumer: any change whose new image is an account item or a sub-balance of a
 * sharded account (ledger entries and threshold alerts), a txn refused for credits (a parked query or a refused
 * debit, the depletion alert: a key-less charge's record is inserted so, a keyed charge's `running` record is updated
 * so, `becameRefused`), and the update of a parked txn (its resume, a webhook event). Everything else (other txn
 * updates, ledger entries, alert episode records, deletions by TTL and by the sweeper) is filtered out by Lambda and
 * costs no invocation.
 */
export const streamFilters = [
  FilterCriteria.filter({ dynamodb: { NewImage: { entity: { S: FilterRule.isEqual('account') } } } }),
  // A sharded account's sub-balance changed: its ledger entries, and thresholds judged on the total.
  FilterCriteria.filter({ dynamodb: { NewImage: { entity: { S: FilterRule.isEqual('shard') } } } }),
  FilterCriteria.filter({
    eventName: FilterRule.isEqual('INSERT'),
    dynamodb: { NewImage: { entity: { S: FilterRule.isEqual('txn') }, status: { S: FilterRule.or('parked', 'refused') } } },
  }),
  FilterCriteria.filter({
    eventName: FilterRule.isEqual('MODIFY'),
    dynamodb: {
      OldImage: { entity: { S: FilterRule.isEqual('txn') }, status: { S: FilterRule.isEqual('running') } },
      NewImage: { status: { S: FilterRule.or('parked', 'refused') } },
    },
  }),
  // A parked query resumed (the `query.resumed` webhook event).
  FilterCriteria.filter({
    eventName: FilterRule.isEqual('MODIFY'),
    dynamodb: { OldImage: { entity: { S: FilterRule.isEqual('txn') }, status: { S: FilterRule.isEqual('parked') } } },
  }),
];

/**
 * How the consumer reads the stream (the README's "The stream keeps up" gives the arithmetic).
 * - `batchSize` 1,000: one GetRecords call's worth, so a busy account's changes arrive together
 *   and become a few BatchWriteItem calls instead of one PutItem each.
 * - `maxBatchingWindow` 1 s: under light traffic a record waits at most a second; under load
 *   batches fill long before that, so the window adds no lag when it matters.
 * - `parallelizationFactor` 10: up to ten batches of one shard at once. Lambda keeps records with
 *   the same partition key in order, and every item the consumer reads of an account (the
 *   account item, its txns) has the partition key `ACCOUNT#<id>`, so each account stays in order.
 */
export const STREAM_BATCHING = {
  batchSize: 1000,
  maxBatchingWindow: Duration.seconds(1),
  parallelizationFactor: 10,
} as const;

/**
 * The table's stream consumer (`functions/streams/handler.ts`): projects balance changes of
 * account items into ledger entries and sends balance alerts. It wakes only for the records
 * `streamFilters` selects, reports partial batch failures, bisects a failing batch, retries a bounded number of
 * times for a bounded time, and then parks the record's coordinates in an encrypted SQS queue
 * so nothing is silently lost. One poller per shard keeps each account's changes in order.
 */
export class BalanceStream extends Construct {
  readonly function: TollgateFunction;
  readonly onFailureQueue: Queue;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: BalanceStreamProps) {
    super(scope, id);
    this.onFailureQueue = new Queue(this, 'OnFailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: (props.removalPolicy ?? 'retain') === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.onFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the stream consumer; an alarm fires as soon as it holds a message.',
    });

    this.function = new TollgateFunction(this, 'Consumer', {
      entry: tollgateEntry('functions/streams/handler.ts'),
      description: 'Projects balance changes from the table stream into ledger entries and sends balance alerts.',
      environment: props.environment,
      logRetentionDays: props.logRetentionDays,
      logLevel: props.logLevel,
      priceBook: props.priceBook,
      tracing: props.tracing,
      removalPolicy: props.removalPolicy,
      memorySize: 512,
      timeout: Duration.seconds(30),
    }).bindTable(props.table, 'RW');
    // Ledger entries are written 25 to a call (functions/metering/ledger-store.ts).
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:BatchWriteItem'], resources: [props.table.tableArn] }));

    this.eventSource = new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      ...STREAM_BATCHING,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? 10,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(6),
      onFailure: new SqsDlq(this.onFailureQueue),
      filters: streamFilters,
    });
    this.function.addEventSource(this.eventSource);
    const policy = this.function.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "Only dynamodb:ListStreams, which IAM cannot scope to a resource; the stream reads (DescribeStream, GetRecords, GetShardIterator) are scoped to this table's stream ARN.",
      });
    }
  }
}

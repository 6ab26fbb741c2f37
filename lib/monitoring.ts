import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  GraphWidgetView,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUSINESS_METRICS, FUNNEL_STAGE_METRICS, LEDGER_LAG_BUCKETS, LEDGER_LAG_METRIC, RECOVERY_RATE_METRIC } from '../functions/shared/metrics-names.ts';
import type { RemovalPolicyName } from './config.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from './tollgate-function.ts';
import type { MeteredRoute } from './tollgate-http-api.ts';

/** Business metrics the handlers emit (Powertools EMF); one definition with the runtime. */
export { BUSINESS_METRICS };

/** The DynamoDB operations Tollgate calls, for the per-operation throttle and system-error metrics. */
const TABLE_OPERATIONS = [Operation.GET_ITEM, Operation.QUERY, Operation.PUT_ITEM, Operation.UPDATE_ITEM, Operation.TRANSACT_WRITE_ITEMS];

export interface MonitoringProps {
  readonly stage: HttpStage;
  /** Routes added with `addMeteredRoute`, now or later: each gets error and throttle alarms and a dashboard row. @default none */
  readonly meteredRoutes?: { watchMeteredRoutes(watcher: (route: MeteredRoute) => void): void };
  readonly table: Table;
  /** Every function, by a short name used in alarm names and the dashboard. */
  readonly functions: Record<string, IFunction>;
  /** The stream consumer, whose iterator age says how far behind the ledger is. */
  readonly streamConsumer: IFunction;
  readonly onFailureQueue: IQueue;
  /** Other dead-letter queues, by a short name used in alarm names and the dashboard: each alarms on its first message. @default {} */
  readonly deadLetterQueues?: Record<string, IQueue>;
  /** Addresses subscribed to the alarm topic. @default [] */
  readonly alarmEmails?: readonly string[];
  /** Alarm above this fraction of 5xx responses over 5 minutes. @default 0.01 */
  readonly api5xxRateThreshold?: number;
  /** Alarm when the stream consumer is this many seconds behind. @default 15 */
  readonly streamIteratorAgeSeconds?: number;
  /** Whether the topic's KMS key outlives the stack. @default 'retain' */
  readonly removalPolicy?: RemovalPolicyName;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Alarms on what hurts users (API 5xx rate, Lambda errors and throttles, DynamoDB throttles and
 * system errors, stream lag, records parked in the on-failure queue or a dead-letter queue), sent to an encrypted SNS
 * topic, and a dashboard with the business metrics next to the technical ones.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    // CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, so the topic gets its own key.
    const key = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts Tollgate alarm notifications.',
      removalPolicy: (props.removalPolicy ?? 'retain') === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Tollgate alarms', masterKey: key, enforceSSL: true });
    for (const email of props.alarmEmails ?? []) this.topic.addSubscription(new EmailSubscription(email));
    const action = new SnsAction(this.topic);

    const alarm = (name: string, metric: IMetric, threshold: number, description: string) => {
      const created = new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    const business = (metricName: string, label: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', period: FIVE_MINUTES, label });

    const paymentEventsIgnored = business(BUSINESS_METRICS.paymentEventsIgnored, 'Payment events ignored');
    alarm(
      'PaymentEventsIgnored',
      paymentEventsIgnored,
      1,
      'A payment event named an account, pack or plan Tollgate does not know, or a type it does not handle: acknowledged without any change. The payments log has the event id.',
    );
    const paymentWebhooksRefused = business(BUSINESS_METRICS.paymentWebhooksRefused, 'Payment webhooks refused');
    alarm(
      'PaymentWebhooksRefused',
      paymentWebhooksRefused,
      1,
      'Webhook deliveries failed the Stripe signature check: STRIPE_WEBHOOK_SECRET does not match the endpoint, or someone is sending forged events.',
    );

    const requests = props.stage.metricCount({ statistic: 'Sum', period: FIVE_MINUTES });
    const serverErrors = props.stage.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES });
    const api5xxRate = new MathExpression({
      expression: 'IF(requests > 0, errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period: FIVE_MINUTES,
      label: 'API 5xx rate',
    });
    alarm('Api5xxRate', api5xxRate, props.api5xxRateThreshold ?? 0.01, 'Share of API requests answered with a 5xx over 5 minutes.');

    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }), 1, `The ${name} function failed (crash or timeout).`);
      alarm(`${name}Throttles`, fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES }), 1, `The ${name} function was throttled.`);
    }

    const tableThrottles = props.table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: FIVE_MINUTES });
    alarm('TableThrottles', tableThrottles, 1, 'DynamoDB throttled requests to the table.');
    const tableSystemErrors = props.table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period: FIVE_MINUTES });
    alarm('TableSystemErrors', tableSystemErrors, 1, 'DynamoDB answered requests to the table with a system error.');

    const iteratorAge = props.streamConsumer.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) });
    alarm('StreamIteratorAge', iteratorAge, (props.streamIteratorAgeSeconds ?? 15) * 1000, 'The ledger projection is falling behind the table stream.');

    const parked = props.onFailureQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) });
    alarm('StreamOnFailureQueueDepth', parked, 1, 'Stream records were given up after retries; their coordinates wait in the on-failure queue.');

    const deadLetters = Object.entries(props.deadLetterQueues ?? {}).map(([name, queue]) => {
      const depth = queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) });
      alarm(`${name}DeadLetterQueueDepth`, depth, 1, `Work of ${name} failed after its retries and waits in its dead-letter queue.`);
      return depth.with({ label: name });
    });

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(24) });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Metering',
        width: 12,
        left: [
          business(BUSINESS_METRICS.debits, 'Debits'),
          business(BUSINESS_METRICS.insufficientCredits, '402 Insufficient credits'),
          business(BUSINESS_METRICS.refunds, 'Refunds'),
          business(BUSINESS_METRICS.topUps, 'Top-ups'),
        ],
        right: [business(BUSINESS_METRICS.reversals, 'Refund reversals'), paymentEventsIgnored, paymentWebhooksRefused],
      }),
      new GraphWidget({
        title: 'API',
        width: 12,
        left: [
          requests.with({ label: 'Requests' }),
          props.stage.metricClientError({ statistic: 'Sum', period: FIVE_MINUTES, label: '4xx' }),
          serverErrors.with({ label: '5xx' }),
        ],
        right: [props.stage.metricLatency({ statistic: 'p99', period: FIVE_MINUTES, label: 'Latency p99' })],
      }),
    );
    // The recovery funnel: how many depletion episodes reached each stage per day, and the daily recovery rate
    // (walls of one day recovered within 48 h, published by the daily funnel job once that day is decided).
    const daily = (metricName: string, label: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', period: Duration.days(1), label });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Recovery funnel (episodes per day reaching each stage; recovery rate %)',
        width: 24,
        view: GraphWidgetView.BAR,
        left: Object.entries(FUNNEL_STAGE_METRICS).map(([stage, metricName]) => daily(metricName, stage)),
        right: [
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: RECOVERY_RATE_METRIC,
            dimensionsMap: { service: SERVICE_NAME },
            statistic: 'Average',
            period: Duration.days(1),
            label: 'Recovery rate (%)',
          }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Lambda errors',
        width: 8,
        left: Object.entries(props.functions).map(([name, fn]) => fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label: name })),
      }),
      // The throttle and system-error expressions name their per-operation metrics alike, so each gets its own graph.
      new GraphWidget({ title: 'DynamoDB throttled requests', width: 8, left: [tableThrottles] }),
      new GraphWidget({ title: 'DynamoDB system errors', width: 8, left: [tableSystemErrors] }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'DynamoDB consumed capacity',
        width: 12,
        left: [
          props.table.metricConsumedReadCapacityUnits({ statistic: 'Sum', period: FIVE_MINUTES, label: 'RCU' }),
          props.table.metricConsumedWriteCapacityUnits({ statistic: 'Sum', period: FIVE_MINUTES, label: 'WCU' }),
        ],
      }),
      new GraphWidget({ title: 'Ledger stream', width: 12, left: [iteratorAge], right: [parked] }),
    );
    // The consumer publishes, per batch, how old the oldest change it projected was, per account bucket (functions/streams/lag.ts).
    const ledgerLag = Array.from(
      { length: LEDGER_LAG_BUCKETS },
      (_, bucket) =>
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: LEDGER_LAG_METRIC,
          dimensionsMap: { service: SERVICE_NAME, accountBucket: `b${bucket}` },
          statistic: 'Maximum',
          period: Duration.minutes(1),
          label: `accounts in bucket ${bucket}`,
        }),
    );
    this.dashboard.addWidgets(new GraphWidget({ title: 'Ledger lag by account bucket (ms)', width: 24, left: ledgerLag }));
    if (deadLetters.length > 0) this.dashboard.addWidgets(new GraphWidget({ title: 'Dead-letter queues', width: 24, left: deadLetters }));
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: [...this.alarms] }));

    props.meteredRoutes?.watchMeteredRoutes(({ key, fn }) => {
      const name = `Metered${key.replace(/[^A-Za-z0-9]/g, '')}`;
      const routeAlarms = [
        alarm(
          `${name}Errors`,
          fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
          1,
          `The function behind the metered route ${key} failed (crash or timeout).`,
        ),
        alarm(
          `${name}Throttles`,
          fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES }),
          1,
          `The function behind the metered route ${key} was throttled.`,
        ),
      ];
      this.dashboard.addWidgets(
        new GraphWidget({
          title: `Metered route ${key}`,
          width: 16,
          left: [
            fn.metricInvocations({ statistic: 'Sum', period: FIVE_MINUTES, label: 'Invocations' }),
            fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label: 'Errors' }),
            fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES, label: 'Throttles' }),
          ],
          right: [fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES, label: 'Duration p99' })],
        }),
        new AlarmStatusWidget({ title: `Alarms of ${key}`, width: 8, alarms: routeAlarms }),
      );
    });
  }

  /** Console link to the dashboard. */
  get dashboardUrl(): string {
    const { region } = Stack.of(this);
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}

import { type Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Schedule, type ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { SchedulerInvokeRole } from './scheduler-invoke-role.ts';
import { type FunctionSettings, type TableAccess, TollgateFunction } from './tollgate-function.ts';

/** What the stack decides for a recurring job: the table it works on, its logs and what outlives the stack. */
export interface ScheduledJobOptions extends FunctionSettings {
  /** The ledger table the job works on. */
  readonly table: ITable;
  /** How long one run may take. @default the job's own (see the job's construct) */
  readonly timeout?: Duration;
  /** Extra environment of the job's function (links' base URL, `BILLING_URL`). @default none */
  readonly environment?: Record<string, string>;
}

export interface ScheduledJobProps extends ScheduledJobOptions {
  /** How long one run may take. */
  readonly timeout: Duration;
  /** Entry file exporting the job's handler, relative to the repository root. */
  readonly entry: string;
  /** Name of the entry's export Lambda calls. @default 'handler' */
  readonly handler?: string;
  /**
   * Construct id of the function; its log group and role are named after it (`<id>Logs`, `<id>Role`),
   * and so are their logical ids. @default 'Function'
   */
  readonly functionId?: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** @default 512 MB */
  readonly memorySize?: number;
  /** How the function may use the table. @default 'RW' */
  readonly tableAccess?: TableAccess;
  /**
   * Also grant `dynamodb:Scan` on the table (only; no index, no stream), for a job that finds its
   * items with a filtered scan. Keep this to the jobs that need it. @default false
   */
  readonly scanTable?: boolean;
  /** When the job runs: a recurring (rate or cron) expression. */
  readonly schedule: ScheduleExpression;
  /** What the schedule is for, shown in the EventBridge Scheduler console. */
  readonly scheduleDescription: string;
  /** The job's name, sent to the function as the schedule's input `{ job }`. */
  readonly jobName: string;
  /** How many times Scheduler retries an invocation it cannot deliver. */
  readonly deliveryRetryAttempts: number;
  /** How long Scheduler keeps retrying an invocation it cannot deliver before it parks it in the dead-letter queue. */
  readonly deliveryRetryWindow: Duration;
  /** How many times Lambda retries a run that failed before it parks it in the dead-letter queue. @default 2 */
  readonly runRetryAttempts?: number;
  /** What lands in the dead-letter queue, for its cdk-nag acknowledgment. */
  readonly deadLetterQueueHolds: string;
  /** What the scheduler role is for, shown in the IAM console. */
  readonly schedulerRoleDescription: string;
}

/**
 * A recurring job: a Tollgate function that an EventBridge Scheduler recurring schedule in the
 * account's default group invokes, asynchronously, through a role that can invoke that function
 * only (`SchedulerInvokeRole`). Failures are parked in one dead-letter queue (give it an alarm):
 * - Scheduler retries an invocation it cannot deliver (`deliveryRetryAttempts`, within
 *   `deliveryRetryWindow`), then parks it there;
 * - a run that fails is retried by Lambda (`runRetryAttempts`), then parked there too.
 * The job must therefore be safe to run again.
 */
export class ScheduledJob extends Construct {
  readonly function: TollgateFunction;
  readonly schedule: Schedule;
  readonly schedulerRole: SchedulerInvokeRole;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', { holds: props.deadLetterQueueHolds, removalPolicy: props.removalPolicy });

    this.function = new TollgateFunction(this, props.functionId ?? 'Function', {
      entry: props.entry,
      handler: props.handler,
      description: props.description,
      logRetentionDays: props.logRetentionDays,
      logLevel: props.logLevel,
      priceBook: props.priceBook,
      tracing: props.tracing,
      removalPolicy: props.removalPolicy,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      environment: props.environment,
    }).bindTable(props.table, props.tableAccess ?? 'RW');
    if (props.scanTable) {
      this.function.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Scan'], resources: [props.table.tableArn] }));
    }
    this.function.configureAsyncInvoke({ retryAttempts: props.runRetryAttempts ?? 2, onFailure: new SqsDestination(this.deadLetterQueue) });

    // The schedule lives in the account's default group, which always exists.
    const defaultGroupArn = Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' });
    this.schedulerRole = new SchedulerInvokeRole(this, 'SchedulerRole', {
      function: this.function,
      scheduleGroupArn: defaultGroupArn,
      deadLetterQueue: this.deadLetterQueue,
      description: props.schedulerRoleDescription,
    });

    const target = {
      bind: () => ({
        arn: this.function.functionArn,
        role: this.schedulerRole,
        input: ScheduleTargetInput.fromObject({ job: props.jobName }),
        retryPolicy: { maximumRetryAttempts: props.deliveryRetryAttempts, maximumEventAgeInSeconds: props.deliveryRetryWindow.toSeconds() },
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      }),
    };
    this.schedule = new Schedule(this, 'Schedule', {
      schedule: props.schedule,
      target,
      description: props.scheduleDescription,
      timeWindow: TimeWindow.off(),
    });
  }
}

import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { RemovalPolicyName, TollgateConfig } from './config.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { SchedulerInvokeRole } from './scheduler-invoke-role.ts';
import { TollgateFunction } from './tollgate-function.ts';

/** When plans renew: 00:05 UTC on the first day of every month. */
export const RENEWAL_SCHEDULE = ScheduleExpression.cron({ minute: '5', hour: '0', day: '1', month: '*', year: '*', timeZone: TimeZone.ETC_UTC });

export interface PlanRenewalProps {
  /** The ledger table: the job scans it for accounts and renews each one. */
  readonly table: ITable;
  /** @default 30 */
  readonly logRetentionDays?: TollgateConfig['logRetentionDays'];
  /** @default 'INFO' */
  readonly logLevel?: TollgateConfig['logLevel'];
  /** Whether the dead-letter queue and the log group outlive the stack. @default 'retain' */
  readonly removalPolicy?: RemovalPolicyName;
  /** How long one run may take; the job renews accounts one after another. @default 5 minutes */
  readonly timeout?: Duration;
}

/**
 * The monthly plan renewal (`functions/plans/handler.ts`): an EventBridge Scheduler recurring
 * schedule (`RENEWAL_SCHEDULE`, UTC) invokes the job through a role that can invoke that function
 * only. Renewal is idempotent per account and period, so every retry is safe:
 * - Scheduler retries an invocation it cannot deliver for up to 6 hours, then parks it in the
 *   dead-letter queue;
 * - Scheduler invokes asynchronously, so a run that fails (an account that did not renew, a
 *   timeout) is retried twice by Lambda, then parked in the same queue.
 * The queue has an alarm; redrive a parked run, or invoke the function, to finish the month.
 */
export class PlanRenewal extends Construct {
  readonly function: TollgateFunction;
  readonly schedule: Schedule;
  readonly schedulerRole: SchedulerInvokeRole;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: PlanRenewalProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: 'monthly renewal runs that failed after their retries, or that Scheduler could not deliver',
      removalPolicy: props.removalPolicy,
    });

    this.function = new TollgateFunction(this, 'RenewalFunction', {
      entry: 'functions/plans/handler.ts',
      description: 'Monthly plan renewal (EventBridge Scheduler): expires or carries over plan credits and grants the month, once per account and period.',
      logRetentionDays: props.logRetentionDays,
      logLevel: props.logLevel,
      removalPolicy: props.removalPolicy,
      memorySize: 512,
      timeout: props.timeout ?? Duration.minutes(5),
    }).bindTable(props.table, 'RW');
    // The job finds the accounts with a filtered scan; only it and the abandoned-charge sweeper scan the table.
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Scan'], resources: [props.table.tableArn] }));
    this.function.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.deadLetterQueue) });

    // The schedule lives in the account's default group, which always exists.
    const defaultGroupArn = Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' });
    this.schedulerRole = new SchedulerInvokeRole(this, 'SchedulerRole', {
      function: this.function,
      scheduleGroupArn: defaultGroupArn,
      deadLetterQueue: this.deadLetterQueue,
      description: 'EventBridge Scheduler runs the monthly plan renewal schedule as this role: it invokes the renewal function.',
    });

    const target = {
      bind: () => ({
        arn: this.function.functionArn,
        role: this.schedulerRole,
        input: ScheduleTargetInput.fromObject({ job: 'plan-renewal' }),
        retryPolicy: { maximumRetryAttempts: 20, maximumEventAgeInSeconds: Duration.hours(6).toSeconds() },
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      }),
    };
    this.schedule = new Schedule(this, 'Schedule', {
      schedule: RENEWAL_SCHEDULE,
      target,
      description: 'Tollgate monthly plan renewal.',
      timeWindow: TimeWindow.off(),
    });
  }
}

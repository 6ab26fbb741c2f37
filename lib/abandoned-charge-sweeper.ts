import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { RemovalPolicyName, TollgateConfig } from './config.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { SchedulerInvokeRole } from './scheduler-invoke-role.ts';
import { TollgateFunction } from './tollgate-function.ts';

/** How often abandoned charges are looked for. */
export const SWEEP_SCHEDULE = ScheduleExpression.rate(Duration.minutes(5));

export interface AbandonedChargeSweeperProps {
  /** The ledger table: the sweeper scans it for txn items left `running` and refunds them. */
  readonly table: ITable;
  /** @default 30 */
  readonly logRetentionDays?: TollgateConfig['logRetentionDays'];
  /** @default 'INFO' */
  readonly logLevel?: TollgateConfig['logLevel'];
  /** Whether the dead-letter queue and the log group outlive the stack. @default 'retain' */
  readonly removalPolicy?: RemovalPolicyName;
  /** How long one sweep may take; it scans the whole table. @default 2 minutes */
  readonly timeout?: Duration;
}

/**
 * The abandoned-charge sweeper (`functions/metering/sweeper-handler.ts`): every 5 minutes an
 * EventBridge Scheduler recurring schedule invokes it through a role that can invoke that function
 * only. It refunds charged txns whose work was abandoned (still `running` long after it should have
 * finished, and taken over by no retry). Each refund is a conditional, at-most-once transition, so
 * retries and overlapping runs are safe:
 * - Scheduler retries an invocation it cannot deliver until the next run is due, then parks it in
 *   the dead-letter queue;
 * - Scheduler invokes asynchronously, so a run that fails is retried twice by Lambda, then parked
 *   in the same queue.
 * The queue has an alarm. A parked run needs no redrive (the next run sweeps the same items), but
 * it says the sweeper keeps failing: abandoned charges stay unrefunded until it is fixed.
 */
export class AbandonedChargeSweeper extends Construct {
  readonly function: TollgateFunction;
  readonly schedule: Schedule;
  readonly schedulerRole: SchedulerInvokeRole;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: AbandonedChargeSweeperProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: 'abandoned-charge sweeps that failed after their retries, or that Scheduler could not deliver',
      removalPolicy: props.removalPolicy,
    });

    this.function = new TollgateFunction(this, 'SweeperFunction', {
      entry: 'functions/metering/sweeper-handler.ts',
      description: 'Abandoned-charge sweeper (EventBridge Scheduler, every 5 minutes): refunds charges whose work died without an answer.',
      logRetentionDays: props.logRetentionDays,
      logLevel: props.logLevel,
      removalPolicy: props.removalPolicy,
      memorySize: 512,
      timeout: props.timeout ?? Duration.minutes(2),
    }).bindTable(props.table, 'RW');
    // The sweeper finds abandoned txns with a filtered scan, like the renewal job finds accounts.
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Scan'], resources: [props.table.tableArn] }));
    this.function.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.deadLetterQueue) });

    // The schedule lives in the account's default group, which always exists.
    const defaultGroupArn = Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' });
    this.schedulerRole = new SchedulerInvokeRole(this, 'SchedulerRole', {
      function: this.function,
      scheduleGroupArn: defaultGroupArn,
      deadLetterQueue: this.deadLetterQueue,
      description: 'EventBridge Scheduler runs the abandoned-charge sweeper schedule as this role: it invokes the sweeper function.',
    });

    const target = {
      bind: () => ({
        arn: this.function.functionArn,
        role: this.schedulerRole,
        input: ScheduleTargetInput.fromObject({ job: 'abandoned-charge-sweeper' }),
        // Past the next run there is no point delivering this one: that run sweeps the same items.
        retryPolicy: { maximumRetryAttempts: 5, maximumEventAgeInSeconds: Duration.minutes(5).toSeconds() },
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      }),
    };
    this.schedule = new Schedule(this, 'Schedule', {
      schedule: SWEEP_SCHEDULE,
      target,
      description: 'Tollgate abandoned-charge sweeper.',
      timeWindow: TimeWindow.off(),
    });
  }
}

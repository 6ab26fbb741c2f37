import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { SchedulerInvokeRole } from './scheduler-invoke-role.ts';
import { type FunctionSettings, TollgateFunction, tollgateEntry } from './tollgate-function.ts';

/** Name prefix of the one-time reminder schedules (`functions/reminders/scheduler.ts` names them `tollgate-reminder-<id>`). */
export const REMINDER_SCHEDULE_PREFIX = 'tollgate-reminder-';

export interface ReminderSchedulesProps extends FunctionSettings {
  /** The ledger table: reminders, accounts and the ledger the reminder email summarizes. */
  readonly table: ITable;
  /** Extra environment of the firing function (runtime settings such as `BILLING_URL`). @default none */
  readonly environment?: Record<string, string>;
}

/**
 * "Remind me later" on AWS. The reminders HTTP function creates one EventBridge Scheduler
 * one-time schedule per reminder in a dedicated schedule group (deleted after it fires); each
 * schedule invokes the firing function (`fire` of `functions/reminders/handler.ts`) through a
 * role that can invoke that function only.
 *
 * Failures: Scheduler invokes the function asynchronously. An invocation Scheduler cannot
 * deliver goes to the dead-letter queue when the schedule names it (`REMINDER_DLQ_ARN`); a
 * firing that throws (SES down, DynamoDB errors) goes there straight away, without Lambda's
 * automatic retries: a retry a minute later would find the reminder still claimed by the failed
 * attempt (claims go stale after two minutes) and drop it silently. Redriving the message to the
 * function later fires the reminder once.
 */
export class ReminderSchedules extends Construct {
  /** The schedules' target. Give it link signing and alert email access like the stream consumer. */
  readonly function: TollgateFunction;
  readonly scheduleGroup: ScheduleGroup;
  /** The role the schedules run as. */
  readonly schedulerRole: SchedulerInvokeRole;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ReminderSchedulesProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: 'reminder firings that failed, and reminder schedules Scheduler could not deliver',
      removalPolicy: props.removalPolicy,
    });

    this.function = new TollgateFunction(this, 'FireFunction', {
      entry: tollgateEntry('functions/reminders/handler.ts'),
      handler: 'fire',
      description: 'Fires a remind-me-later reminder (EventBridge Scheduler target): claims it, emails the account, marks it sent.',
      environment: props.environment,
      logRetentionDays: props.logRetentionDays,
      logLevel: props.logLevel,
      priceBook: props.priceBook,
      tracing: props.tracing,
      removalPolicy: props.removalPolicy,
      memorySize: 512,
      timeout: Duration.seconds(30),
    }).bindTable(props.table, 'RW');
    this.function.configureAsyncInvoke({ retryAttempts: 0, onFailure: new SqsDestination(this.deadLetterQueue) });

    // Deleting the group deletes its schedules, which would otherwise target a deleted function.
    this.scheduleGroup = new ScheduleGroup(this, 'ScheduleGroup', { removalPolicy: RemovalPolicy.DESTROY });
    this.schedulerRole = new SchedulerInvokeRole(this, 'SchedulerRole', {
      function: this.function,
      scheduleGroupArn: this.scheduleGroup.scheduleGroupArn,
      deadLetterQueue: this.deadLetterQueue,
      description: 'EventBridge Scheduler runs the one-time reminder schedules as this role: it invokes the reminder firing function.',
    });
  }

  /**
   * ARN pattern of the reminder schedules: only these may be created or deleted. Built from the
   * pseudo parameters (not the stack's env) so it reads the same in every environment, as does
   * the cdk-nag finding it is acknowledged by.
   */
  get scheduleArnPattern(): string {
    return `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${this.scheduleGroup.scheduleGroupName}/${REMINDER_SCHEDULE_PREFIX}*`;
  }

  /**
   * Lets a function (the reminders HTTP function) schedule and cancel reminders: the environment
   * `functions/reminders/scheduler.ts` reads (`REMINDER_TARGET_ARN`, `SCHEDULER_ROLE_ARN`,
   * `SCHEDULER_GROUP`, and `REMINDER_DLQ_ARN` for the schedules' dead-letter config),
   * `scheduler:CreateSchedule`/`DeleteSchedule` on reminder schedules in the group only, and
   * `iam:PassRole` on the schedules' role only, to EventBridge Scheduler only.
   */
  grantScheduling(fn: LambdaFunction): void {
    fn.addEnvironment('REMINDER_TARGET_ARN', this.function.functionArn);
    fn.addEnvironment('SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
    fn.addEnvironment('SCHEDULER_GROUP', this.scheduleGroup.scheduleGroupName);
    fn.addEnvironment('REMINDER_DLQ_ARN', this.deadLetterQueue.queueArn);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], resources: [this.scheduleArnPattern] }));
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      const pattern = `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.scheduleGroup.scheduleGroupName}/${REMINDER_SCHEDULE_PREFIX}*`;
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${pattern}]`,
        reason:
          "Reminder schedules are named per reminder when the customer asks (tollgate-reminder-<id>); the wildcard covers only those names, in the stack's own schedule group.",
      });
    }
  }
}

import { Duration, TimeZone } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { ScheduledJob, type ScheduledJobOptions } from './scheduled-job.ts';
import { tollgateEntry } from './tollgate-function.ts';

/** When plans renew: 00:05 UTC on the first day of every month. */
export const RENEWAL_SCHEDULE = ScheduleExpression.cron({ minute: '5', hour: '0', day: '1', month: '*', year: '*', timeZone: TimeZone.ETC_UTC });

/**
 * The job scans `table` for accounts and renews each one, one after another: `timeout`
 * defaults to 5 minutes.
 */
export type PlanRenewalProps = ScheduledJobOptions;

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
export class PlanRenewal extends ScheduledJob {
  constructor(scope: Construct, id: string, props: PlanRenewalProps) {
    super(scope, id, {
      ...props,
      timeout: props.timeout ?? Duration.minutes(5),
      entry: tollgateEntry('functions/plans/handler.ts'),
      functionId: 'RenewalFunction',
      description: 'Monthly plan renewal (EventBridge Scheduler): expires or carries over plan credits and grants the month, once per account and period.',
      // The job finds the accounts with a filtered scan; only it and the abandoned-charge sweeper scan the table.
      scanTable: true,
      schedule: RENEWAL_SCHEDULE,
      scheduleDescription: 'Tollgate monthly plan renewal.',
      jobName: 'plan-renewal',
      deliveryRetryAttempts: 20,
      deliveryRetryWindow: Duration.hours(6),
      deadLetterQueueHolds: 'monthly renewal runs that failed after their retries, or that Scheduler could not deliver',
      schedulerRoleDescription: 'EventBridge Scheduler runs the monthly plan renewal schedule as this role: it invokes the renewal function.',
    });
  }
}

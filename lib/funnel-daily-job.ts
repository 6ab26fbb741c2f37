import { Duration, TimeZone } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { ScheduledJob, type ScheduledJobOptions } from './scheduled-job.ts';
import { tollgateEntry } from './tollgate-function.ts';

/** When the funnel job runs: 00:20 UTC every day. */
export const FUNNEL_DAILY_SCHEDULE = ScheduleExpression.cron({ minute: '20', hour: '0', day: '*', month: '*', year: '*', timeZone: TimeZone.ETC_UTC });

/** The job reads two days' wall lists and one day's counters: `timeout` defaults to 2 minutes. */
export type FunnelDailyJobProps = ScheduledJobOptions;

/**
 * The daily recovery-funnel job (`functions/funnel/daily-handler.ts`): marks episodes lapsed 30
 * days after an unpaid wall and publishes the recovery rate of the latest decided day. Both are
 * idempotent, so Scheduler's and Lambda's retries are safe; what fails after them waits in the
 * dead-letter queue (alarmed).
 */
export class FunnelDailyJob extends ScheduledJob {
  constructor(scope: Construct, id: string, props: FunnelDailyJobProps) {
    super(scope, id, {
      ...props,
      timeout: props.timeout ?? Duration.minutes(2),
      entry: tollgateEntry('functions/funnel/daily-handler.ts'),
      functionId: 'FunnelDailyFunction',
      description: 'Daily recovery funnel job (EventBridge Scheduler): lapsed episodes and the daily recovery rate metric.',
      schedule: FUNNEL_DAILY_SCHEDULE,
      scheduleDescription: 'Tollgate daily recovery funnel job.',
      jobName: 'funnel-daily',
      deliveryRetryAttempts: 20,
      deliveryRetryWindow: Duration.hours(6),
      deadLetterQueueHolds: 'daily funnel runs that failed after their retries, or that Scheduler could not deliver',
      schedulerRoleDescription: 'EventBridge Scheduler runs the daily recovery funnel job as this role: it invokes the funnel job function.',
    });
  }
}

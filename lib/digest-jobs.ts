import { Duration, TimeZone } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { ScheduledJob, type ScheduledJobOptions } from './scheduled-job.ts';
import { tollgateEntry } from './tollgate-function.ts';

/** Weekly digests: Mondays 06:00 UTC, for the ISO week that just ended. */
export const WEEKLY_DIGEST_SCHEDULE = ScheduleExpression.cron({ minute: '0', hour: '6', weekDay: 'MON', month: '*', year: '*', timeZone: TimeZone.ETC_UTC });
/** Monthly digests: the 1st at 06:00 UTC, for the month that just ended. */
export const MONTHLY_DIGEST_SCHEDULE = ScheduleExpression.cron({ minute: '0', hour: '6', day: '1', month: '*', year: '*', timeZone: TimeZone.ETC_UTC });

/** The jobs read the digest work lists, never scan: `timeout` defaults to 5 minutes. */
export type DigestJobsProps = ScheduledJobOptions;

/**
 * The usage digests (`functions/digests/handler.ts`): a weekly and a monthly scheduled job, each
 * sending the digest of the period that just ended to the accounts on its work list. Every
 * account's digest is claimed per period before it is sent, so Scheduler's and Lambda's retries
 * (and `POST /v1/jobs/digest/run`) never send one twice. Grant sending and link signing to both
 * functions (`functions`).
 */
export class DigestJobs extends Construct {
  readonly weekly: ScheduledJob;
  readonly monthly: ScheduledJob;

  constructor(scope: Construct, id: string, props: DigestJobsProps) {
    super(scope, id);
    const job = (name: 'Weekly' | 'Monthly', schedule: ScheduleExpression) =>
      new ScheduledJob(this, name, {
        ...props,
        timeout: props.timeout ?? Duration.minutes(5),
        entry: tollgateEntry('functions/digests/handler.ts'),
        functionId: `${name}DigestFunction`,
        description: `${name} usage digests (EventBridge Scheduler): one email per opted-in account and period.`,
        schedule,
        scheduleDescription: `Tollgate ${name.toLowerCase()} usage digests.`,
        jobName: `digest-${name.toLowerCase()}`,
        deliveryRetryAttempts: 20,
        deliveryRetryWindow: Duration.hours(6),
        deadLetterQueueHolds: `${name.toLowerCase()} digest runs that failed after their retries, or that Scheduler could not deliver`,
        schedulerRoleDescription: `EventBridge Scheduler runs the ${name.toLowerCase()} usage digest schedule as this role: it invokes the digest function.`,
      });
    this.weekly = job('Weekly', WEEKLY_DIGEST_SCHEDULE);
    this.monthly = job('Monthly', MONTHLY_DIGEST_SCHEDULE);
  }

  get functions() {
    return [this.weekly.function, this.monthly.function];
  }
}

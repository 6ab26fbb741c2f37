import { Duration } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { ScheduledJob, type ScheduledJobOptions } from './scheduled-job.ts';
import { tollgateEntry } from './tollgate-function.ts';

/** How often abandoned charges are looked for. */
export const SWEEP_SCHEDULE = ScheduleExpression.rate(Duration.minutes(5));

/**
 * The sweeper scans `table` for txn items left `running` and for key-less charges' ledger entries
 * that never got a txn record, and refunds them, and for holds past their expiry, and releases
 * them; one sweep scans the whole table: `timeout` defaults to 2 minutes.
 */
export type AbandonedChargeSweeperProps = ScheduledJobOptions;

/**
 * The abandoned-charge sweeper (`functions/metering/sweeper-handler.ts`): every 5 minutes an
 * EventBridge Scheduler recurring schedule invokes it through a role that can invoke that function
 * only. It refunds charged txns whose work was abandoned (still `running` long after it should have
 * finished, and taken over by no retry), and releases holds neither settled nor released by their
 * expiry (a settle after the expiry releases its hold at once, so the sweep only frees the credits
 * of holds nobody came back for). Each is a conditional, at-most-once transition, so
 * retries and overlapping runs are safe:
 * - Scheduler retries an invocation it cannot deliver until the next run is due, then parks it in
 *   the dead-letter queue;
 * - Scheduler invokes asynchronously, so a run that fails is retried twice by Lambda, then parked
 *   in the same queue.
 * The queue has an alarm. A parked run needs no redrive (the next run sweeps the same items), but
 * it says the sweeper keeps failing: abandoned charges stay unrefunded until it is fixed.
 */
export class AbandonedChargeSweeper extends ScheduledJob {
  constructor(scope: Construct, id: string, props: AbandonedChargeSweeperProps) {
    super(scope, id, {
      ...props,
      timeout: props.timeout ?? Duration.minutes(2),
      entry: tollgateEntry('functions/metering/sweeper-handler.ts'),
      functionId: 'SweeperFunction',
      description:
        'Abandoned-charge sweeper (EventBridge Scheduler, every 5 minutes): refunds charges whose work died without an answer, releases expired holds.',
      // The sweeper finds abandoned txns with a filtered scan, like the renewal job finds accounts.
      scanTable: true,
      schedule: SWEEP_SCHEDULE,
      scheduleDescription: 'Tollgate abandoned-charge sweeper.',
      jobName: 'abandoned-charge-sweeper',
      deliveryRetryAttempts: 5,
      // Past the next run there is no point delivering this one: that run sweeps the same items.
      deliveryRetryWindow: Duration.minutes(5),
      deadLetterQueueHolds: 'abandoned-charge sweeps that failed after their retries, or that Scheduler could not deliver',
      schedulerRoleDescription: 'EventBridge Scheduler runs the abandoned-charge sweeper schedule as this role: it invokes the sweeper function.',
    });
  }
}

import { sesSender } from '../alerts/ses-sender.ts';
import { systemClock } from '../shared/clock.ts';
import { logger, withLogsWritten } from '../shared/logger.ts';
import { runDigests } from './job.ts';

/** The scheduled digest runs (EventBridge Scheduler sends `{ job }`): `digest-weekly` on Mondays, `digest-monthly` on the 1st. */
export const handler = withLogsWritten(async (event: { job?: string }) => {
  const kind = event.job === 'digest-monthly' ? 'monthly' : event.job === 'digest-weekly' ? 'weekly' : undefined;
  if (!kind) throw new Error(`Unknown digest job "${event.job ?? ''}"`);
  const run = await runDigests(kind, { sender: sesSender(), clock: systemClock });
  logger.info('digest run finished', { kind, ...run });
  if (run.failed > 0) throw new Error(`${run.failed} digests failed to send; the schedule retries and claims keep the others from going twice`);
  return run;
});

import { priceBook } from '../pricing/configured.ts';
import { systemClock } from '../shared/clock.ts';
import { logger, withLogsWritten } from '../shared/logger.ts';
import { renewAll } from './renew.ts';

/** The monthly renewal, run by EventBridge Scheduler on AWS and by the local stack's scheduler locally. */
export const handler = withLogsWritten(async (): Promise<Record<string, number>> => {
  const counts = await renewAll(priceBook(), systemClock.now());
  logger.info('plan renewal finished', counts);
  if (counts.failed > 0) throw new Error(`${counts.failed} accounts failed to renew; the schedule retries and renewal is idempotent`);
  return counts;
});

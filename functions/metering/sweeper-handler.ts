import { systemClock } from '../shared/clock.ts';
import { withLogsWritten } from '../shared/logger.ts';
import { metrics } from '../shared/metrics.ts';
import { type SweepResult, sweep } from './sweeper.ts';

/** Scheduled every few minutes (EventBridge Scheduler on AWS, the local scheduler locally). */
export const handler = withLogsWritten(async (): Promise<SweepResult> => {
  const result = await sweep(systemClock);
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return result;
});

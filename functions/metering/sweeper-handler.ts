import { systemClock } from '../shared/clock.ts';
import { metrics } from '../shared/metrics.ts';
import { type SweepResult, sweep } from './sweeper.ts';

/** Scheduled every few minutes (EventBridge Scheduler on AWS, the local scheduler locally). */
export async function handler(): Promise<SweepResult> {
  const result = await sweep(systemClock);
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return result;
}

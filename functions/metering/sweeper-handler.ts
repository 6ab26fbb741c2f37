import { systemClock } from '../shared/clock.ts';
import { metrics } from '../shared/metrics.ts';
import { refundAbandoned } from './sweeper.ts';

/** Scheduled every few minutes (EventBridge Scheduler on AWS, the local scheduler locally). */
export async function handler(): Promise<{ refunded: number }> {
  const refunded = await refundAbandoned(systemClock);
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return { refunded };
}

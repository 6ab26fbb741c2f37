import { systemClock } from '../shared/clock.ts';
import { refundAbandoned } from './sweeper.ts';

/** Scheduled every few minutes (EventBridge Scheduler on AWS, the local scheduler locally). */
export async function handler(): Promise<{ refunded: number }> {
  return { refunded: await refundAbandoned(systemClock) };
}

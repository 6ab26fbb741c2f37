import type { AccountItem } from '../accounts/model.ts';
import { addHours, epochSeconds } from '../shared/clock.ts';
import { ValidationError } from '../shared/errors.ts';
import { randomId } from '../shared/ids.ts';
import { durationMs } from './duration.ts';
import { MAX_DELAY_MS, MIN_DELAY_MS, type ReminderItem } from './model.ts';
import type { ReminderScheduler } from './scheduler.ts';
import { putReminder } from './store.ts';

/** Checks an `after` duration: ISO-8601, between 1 hour and 30 days. */
export function reminderDelay(after: string): number {
  const ms = durationMs(after);
  if (ms === undefined) throw new ValidationError(`"after" must be an ISO-8601 duration such as PT4H, P1D or P1W (got "${after}").`);
  if (ms < MIN_DELAY_MS || ms > MAX_DELAY_MS) throw new ValidationError('"after" must be between 1 hour (PT1H) and 30 days (P30D).');
  return ms;
}

/** Records a reminder and schedules it to fire once at its due time. */
export async function createReminder(account: AccountItem, delayMs: number, now: Date, scheduler: ReminderScheduler): Promise<ReminderItem> {
  const dueAt = new Date(now.getTime() + delayMs);
  const reminder: ReminderItem = {
    id: randomId('rem'),
    accountId: account.id,
    dueAt: dueAt.toISOString(),
    status: 'scheduled',
    baselineSeq: account.baselineSeq ?? 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAtEpoch: epochSeconds(addHours(dueAt, 24 * 30)),
  };
  await putReminder(reminder);
  await scheduler.schedule(reminder);
  return reminder;
}

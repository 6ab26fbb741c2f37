import type { Reminder } from './openapi.ts';

export type ReminderStatus = 'scheduled' | 'firing' | 'sent' | 'skipped' | 'cancelled';

/** One "remind me later": an email at `dueAt`, skipped if the customer tops up before then. */
export interface ReminderItem {
  id: string;
  accountId: string;
  dueAt: string;
  status: ReminderStatus;
  /** The top-up episode when it was asked for; a later top-up makes it moot. */
  baselineSeq: number;
  createdAt: string;
  updatedAt: string;
  firedAt?: string;
  expiresAtEpoch: number;
}

export const REMINDER_ID = /^rem_[A-Za-z0-9_-]{16}$/;
export const MIN_DELAY_MS = 3_600_000;
export const MAX_DELAY_MS = 30 * 86_400_000;

export function reminderView(reminder: ReminderItem): Reminder {
  return { id: reminder.id, dueAt: reminder.dueAt, status: reminder.status === 'firing' ? 'scheduled' : reminder.status, createdAt: reminder.createdAt };
}

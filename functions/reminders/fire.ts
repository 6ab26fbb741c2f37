import { findAccount } from '../accounts/store.ts';
import type { AlertDeps } from '../alerts/notify.ts';
import { sendReminderEmail } from '../alerts/notify.ts';
import { config } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { dueReminders, findReminder, transitionReminder } from './store.ts';

/** A claim older than this belongs to an invocation that died; another may take over. */
const CLAIM_TIMEOUT_MS = 120_000;

export type FireOutcome = 'sent' | 'skipped' | 'not-due' | 'gone';

/**
 * Fires one reminder, once: it is claimed (`scheduled → firing`) before the email goes out
 * and marked `sent` after, so a second invocation finds nothing to do. A reminder whose
 * customer topped up since it was asked for is skipped: there is nothing to remind them of.
 */
export async function fireReminder(accountId: string, reminderId: string, deps: AlertDeps): Promise<FireOutcome> {
  const now = deps.clock.now();
  const reminder = await findReminder(accountId, reminderId);
  if (!reminder) return 'gone';
  if (reminder.dueAt > now.toISOString()) return 'not-due';
  const staleBefore = new Date(now.getTime() - CLAIM_TIMEOUT_MS).toISOString();
  if (!(await transitionReminder(reminder, ['scheduled', 'firing'], 'firing', now, staleBefore))) return 'gone';
  const account = await findAccount(accountId);
  // Without a verified sender (ALERT_EMAILS=off) there is no way to remind; the reminder is skipped, not retried.
  if (!account || (account.baselineSeq ?? 0) !== reminder.baselineSeq || config().ALERT_EMAILS === 'off') {
    await transitionReminder(reminder, ['firing'], 'skipped', now);
    return 'skipped';
  }
  await sendReminderEmail(account, deps);
  await transitionReminder(reminder, ['firing'], 'sent', now);
  logger.info('reminder sent', { accountId, reminderId });
  return 'sent';
}

/** The local stack's stand-in for EventBridge Scheduler: fires what is due. */
export async function fireDueReminders(deps: AlertDeps): Promise<FireOutcome[]> {
  const due = await dueReminders(deps.clock.now());
  return Promise.all(due.map((reminder) => fireReminder(reminder.accountId, reminder.id, deps)));
}

import { sesSender } from '../alerts/ses-sender.ts';
import { httpHandler } from '../http/handler.ts';
import { priceBook } from '../pricing/configured.ts';
import { systemClock } from '../shared/clock.ts';
import { withLogsWritten } from '../shared/logger.ts';
import { type FireOutcome, fireReminder } from './fire.ts';
import { reminderRoutes } from './routes.ts';
import { reminderScheduler } from './scheduler.ts';

/** HTTP: create and cancel reminders (API key or signed link). */
export const handler = httpHandler(reminderRoutes({ clock: systemClock, scheduler: reminderScheduler() }));

const alertDeps = { sender: sesSender(), clock: systemClock, pricing: priceBook() };

/** EventBridge Scheduler target: `{ accountId, reminderId }`. */
export const fire = withLogsWritten(
  (event: { accountId: string; reminderId: string }): Promise<FireOutcome> => fireReminder(event.accountId, event.reminderId, alertDeps),
);

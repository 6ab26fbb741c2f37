import { z } from 'zod';
import { requireClientAccount } from '../accounts/auth.ts';
import { getAccount } from '../accounts/store.ts';
import { signedUrl } from '../alerts/links.ts';
import { accountCopy } from '../copy/account-copy.ts';
import type { RouteMap } from '../http/handler.ts';
import { linkClaims } from '../http/link-token.ts';
import { formBody, parseBody, pathParam } from '../http/request.ts';
import { json, noContent } from '../http/response.ts';
import type { Clock } from '../shared/clock.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { createReminder, reminderDelay } from './create.ts';
import { REMINDER_ID, reminderView } from './model.ts';
import { remindConfirmationPage, remindPage } from './pages.ts';
import type { ReminderScheduler } from './scheduler.ts';
import { findReminder, transitionReminder } from './store.ts';

export interface ReminderDeps {
  clock: Clock;
  scheduler: ReminderScheduler;
}

export const createReminderBody = z.strictObject({ after: z.string().max(32) });
const CHOICES = ['PT4H', 'P1D', 'P3D', 'P7D'];

/** "Remind me later" for programs (API key) and for people (signed link from an email or the usage page). */
export function reminderRoutes(deps: ReminderDeps): RouteMap {
  return {
    'POST /v1/reminders': async (event) => {
      const { account } = await requireClientAccount(event);
      const { value } = parseBody(event, createReminderBody);
      const reminder = await createReminder(account, reminderDelay(value.after), deps.clock.now(), deps.scheduler);
      return json(201, reminderView(reminder), { Location: `/v1/reminders/${reminder.id}` });
    },
    'DELETE /v1/reminders/{reminderId}': async (event) => {
      const { account } = await requireClientAccount(event);
      const id = pathParam(event, 'reminderId', REMINDER_ID);
      const reminder = await findReminder(account.id, id);
      if (!reminder) throw new NotFoundError(`There is no reminder "${id}" on this account.`);
      if (!(await transitionReminder(reminder, ['scheduled'], 'cancelled', deps.clock.now()))) {
        throw new ConflictError(`Reminder "${id}" is already ${reminder.status === 'scheduled' ? 'being sent' : reminder.status}.`);
      }
      await deps.scheduler.cancel(reminder);
      return noContent();
    },
    'GET /remind': async (event) => {
      const { accountId } = await linkClaims(event, 'remind', deps.clock.now());
      return remindPage(event, CHOICES, await accountCopy(await getAccount(accountId)));
    },
    'POST /remind': async (event) => {
      const now = deps.clock.now();
      const { accountId } = await linkClaims(event, 'remind', now);
      const after = formBody(event).get('after') ?? '';
      const account = await getAccount(accountId);
      const reminder = await createReminder(account, reminderDelay(after), now, deps.scheduler);
      return remindConfirmationPage(reminder, await signedUrl('usage', accountId, now), await accountCopy(account));
    },
  };
}

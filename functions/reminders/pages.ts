import { BUTTON_STYLE, postBackForm, simplePage } from '../http/page.ts';
import { escapeHtml, html } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import type { ReminderItem } from './model.ts';

const LABELS: Record<string, string> = { PT4H: 'In 4 hours', P1D: 'Tomorrow', P3D: 'In 3 days', P7D: 'In a week' };

/** The page a "Remind me later" link opens: pick when, one click. */
export function remindPage(event: HttpEvent, choices: string[]) {
  const options = choices
    .map(
      (after, i) =>
        `<div><input type="radio" id="after-${i}" name="after" value="${after}"${i === 1 ? ' checked' : ''}><label for="after-${i}"> ${escapeHtml(LABELS[after] ?? after)}</label></div>`,
    )
    .join('');
  return html(
    200,
    simplePage(
      'When should we remind you?',
      "We'll email you your balance and your options then. If you top up before, we won't bother you.",
      postBackForm(
        event,
        `<fieldset style="border:0;padding:0;margin:0 0 16px"><legend>Remind me</legend>${options}</fieldset><button type="submit" style="${BUTTON_STYLE}">Set reminder</button>`,
      ),
    ),
  );
}

/** After "remind me later": when the email comes, what it holds, and the way back to the usage page. */
export function remindConfirmationPage(reminder: ReminderItem, usageUrl: string) {
  const when = new Date(reminder.dueAt).toUTCString();
  return html(
    201,
    simplePage(
      "We'll remind you",
      `You'll get an email around ${when} with your balance and your ways to add credits. There's nothing else to do now; if you top up before then, we'll skip it.`,
      `<p><a href="${escapeHtml(usageUrl)}">Back to your usage and balance</a></p>`,
    ),
  );
}

import type { Copy } from '../copy/render.ts';
import { isMessageKey } from '../copy/template.ts';
import { BUTTON_STYLE, postBackForm, simplePage } from '../http/page.ts';
import { escapeHtml, html } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import type { ReminderItem } from './model.ts';

/** The page a "Remind me later" link opens: pick when, one click. */
export function remindPage(event: HttpEvent, choices: string[], copy: Copy) {
  const { t } = copy;
  const label = (after: string) => {
    const key = `page.remind.option.${after}`;
    return isMessageKey(key) ? t(key) : after;
  };
  const options = choices
    .map(
      (after, i) =>
        `<div><input type="radio" id="after-${i}" name="after" value="${after}"${i === 1 ? ' checked' : ''}><label for="after-${i}"> ${escapeHtml(label(after))}</label></div>`,
    )
    .join('');
  return html(
    200,
    simplePage(
      t('page.remind.title'),
      t('page.remind.text'),
      postBackForm(
        event,
        `<fieldset style="border:0;padding:0;margin:0 0 16px"><legend>${escapeHtml(t('page.remind.legend'))}</legend>${options}</fieldset><button type="submit" style="${BUTTON_STYLE}">${escapeHtml(t('page.remind.submit'))}</button>`,
      ),
      copy.locale,
    ),
  );
}

/** After "remind me later": when the email comes, what it holds, and the way back to the usage page. */
export function remindConfirmationPage(reminder: ReminderItem, usageUrl: string, copy: Copy) {
  const { t } = copy;
  return html(
    201,
    simplePage(
      t('page.reminded.title'),
      t('page.reminded.text', { when: reminder.dueAt }),
      `<p><a href="${escapeHtml(usageUrl)}">${escapeHtml(t('page.backToUsage'))}</a></p>`,
      copy.locale,
    ),
  );
}

import { z } from 'zod';
import { requireAdmin, requireClientAccount } from '../accounts/auth.ts';
import { ACCOUNT_ID, type AccountItem } from '../accounts/model.ts';
import { getAccount } from '../accounts/store.ts';
import type { RouteMap } from '../http/handler.ts';
import { parseBody, parseQuery, pathParam } from '../http/request.ts';
import { escapeHtml, html, json } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import type { Clock } from '../shared/clock.ts';
import { linkSigningSecret } from '../shared/secrets.ts';
import { verifyLink } from '../shared/signed-links.ts';
import { alertSettingsPatch, alertsView, effectiveAlerts } from './settings.ts';
import { saveAlertSettings } from './store.ts';

export interface AlertRouteDeps {
  clock: Clock;
}

const tokenQuery = z.strictObject({ token: z.string().min(10).max(2048) });
// RFC 8058: mail clients POST `List-Unsubscribe=One-Click` as a form; people use the page's button.
const ONE_CLICK = /^(List-Unsubscribe=One-Click)?$/;

/** Alert settings for operators and customers, and the one-click unsubscribe. */
export function alertRoutes(deps: AlertRouteDeps): RouteMap {
  return {
    'PUT /v1/accounts/{accountId}/alerts': async (event) => {
      await requireAdmin(event);
      return update(event, await getAccount(pathParam(event, 'accountId', ACCOUNT_ID)), deps);
    },
    'GET /v1/alerts': async (event) => json(200, alertsView((await requireClientAccount(event)).account)),
    'PUT /v1/alerts': async (event) => update(event, (await requireClientAccount(event)).account, deps),
    'GET /v1/alerts/unsubscribe': async (event) => {
      const claims = verifyLink(parseQuery(event, tokenQuery).token, 'unsubscribe', deps.clock.now(), await linkSigningSecret());
      await getAccount(claims.accountId);
      return html(200, unsubscribePage(event));
    },
    'POST /v1/alerts/unsubscribe': async (event) => {
      const claims = verifyLink(parseQuery(event, tokenQuery).token, 'unsubscribe', deps.clock.now(), await linkSigningSecret());
      const body = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
      if (!ONE_CLICK.test(body.trim())) return html(400, page('That did not work', 'This address only accepts the one-click unsubscribe request.'));
      const account = await getAccount(claims.accountId);
      await saveAlertSettings(account.id, { ...effectiveAlerts(account), enabled: false }, deps.clock.now());
      return html(200, page("You're unsubscribed", "We won't send you balance alerts any more. Your account and your credits are unchanged."));
    },
  };
}

async function update(event: HttpEvent, account: AccountItem, deps: AlertRouteDeps) {
  const { value } = parseBody(event, alertSettingsPatch);
  const settings = { ...effectiveAlerts(account), ...value };
  await saveAlertSettings(account.id, settings, deps.clock.now());
  return json(200, alertsView({ ...account, alerts: settings }));
}

function unsubscribePage(event: HttpEvent): string {
  const action = `${event.rawPath}?${event.rawQueryString}`;
  return page(
    'Stop balance alerts?',
    "You'll no longer get emails when your credits run low. Your account keeps working as before.",
    `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="background:#1d4ed8;color:#fff;border:0;padding:10px 16px;border-radius:6px;font-size:16px">Stop these emails</button></form>`,
  );
}

function page(title: string, text: string, extra = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;color:#111827;max-width:560px;margin:40px auto;padding:0 16px;line-height:1.5"><h1 style="font-size:22px">${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>${extra}</body></html>`;
}

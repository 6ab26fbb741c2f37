import { requireAdmin, requireClientAccount } from '../accounts/auth.ts';
import { ACCOUNT_ID, type AccountItem } from '../accounts/model.ts';
import { getAccount } from '../accounts/store.ts';
import { accountCopy } from '../copy/account-copy.ts';
import type { Copy } from '../copy/render.ts';
import { syncDigestList } from '../digests/store.ts';
import type { RouteMap } from '../http/handler.ts';
import { linkClaims } from '../http/link-token.ts';
import { BUTTON_STYLE, postBackForm, simplePage } from '../http/page.ts';
import { formBody, parseBody, pathParam } from '../http/request.ts';
import { escapeHtml, html, json } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import type { Clock } from '../shared/clock.ts';
import { alertsView, effectiveAlerts } from './settings.ts';
import { alertSettingsPatch } from './settings-patch.ts';
import { saveAlertSettings } from './store.ts';

export interface AlertRouteDeps {
  clock: Clock;
}

// RFC 8058: mail clients POST `List-Unsubscribe=One-Click` as a form; people use the page's button.
const ONE_CLICK = /^(List-Unsubscribe=One-Click)?$/;

/** Operators' alert settings for any account: served by the admin function, the only one besides metering that reads the admin key. */
export function adminAlertRoutes(deps: AlertRouteDeps): RouteMap {
  return {
    'PUT /v1/accounts/{accountId}/alerts': async (event) => {
      await requireAdmin(event);
      return update(event, await getAccount(pathParam(event, 'accountId', ACCOUNT_ID)), deps);
    },
  };
}

/** Customers' alert settings and the one-click unsubscribe. */
export function alertRoutes(deps: AlertRouteDeps): RouteMap {
  return {
    'GET /v1/alerts': async (event) => json(200, alertsView((await requireClientAccount(event)).account)),
    'PUT /v1/alerts': async (event) => update(event, (await requireClientAccount(event)).account, deps),
    'GET /v1/alerts/unsubscribe': async (event) => {
      const claims = await linkClaims(event, 'unsubscribe', deps.clock.now());
      return html(200, unsubscribePage(event, await accountCopy(await getAccount(claims.accountId))));
    },
    'POST /v1/alerts/unsubscribe': async (event) => {
      const claims = await linkClaims(event, 'unsubscribe', deps.clock.now());
      const account = await getAccount(claims.accountId);
      const { t, locale } = await accountCopy(account);
      if (!ONE_CLICK.test(formBody(event).toString())) return html(400, simplePage(t('page.failed.title'), t('page.unsubscribe.oneClickOnly'), '', locale));
      await saveAlertSettings(account.id, { ...effectiveAlerts(account), enabled: false }, deps.clock.now());
      return html(200, simplePage(t('page.unsubscribed.title'), t('page.unsubscribed.text'), '', locale));
    },
    'GET /v1/alerts/digest/unsubscribe': async (event) => {
      const claims = await linkClaims(event, 'digestOff', deps.clock.now());
      await getAccount(claims.accountId);
      return html(200, digestOffPage(event));
    },
    'POST /v1/alerts/digest/unsubscribe': async (event) => {
      const claims = await linkClaims(event, 'digestOff', deps.clock.now());
      if (!ONE_CLICK.test(formBody(event).toString()))
        return html(400, simplePage('That did not work', 'This address only accepts the one-click unsubscribe request.'));
      const account = await getAccount(claims.accountId);
      await saveAlertSettings(account.id, { ...effectiveAlerts(account), digest: 'off' }, deps.clock.now());
      await syncDigestList(account.id, 'off');
      return html(200, simplePage('Digest stopped', "We won't send you usage digests any more. Balance alerts, your account and your credits are unchanged."));
    },
  };
}

async function update(event: HttpEvent, account: AccountItem, deps: AlertRouteDeps) {
  const { value } = parseBody(event, alertSettingsPatch);
  const settings = { ...effectiveAlerts(account), ...value };
  await saveAlertSettings(account.id, settings, deps.clock.now());
  // After the settings: a digest job that reads the list checks the account's setting before sending.
  await syncDigestList(account.id, settings.digest);
  return json(200, alertsView({ ...account, alerts: settings }));
}

function unsubscribePage(event: HttpEvent, { t, locale }: Copy): string {
  return simplePage(
    t('page.unsubscribe.title'),
    t('page.unsubscribe.text'),
    postBackForm(
      event,
      `<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="${BUTTON_STYLE}">${escapeHtml(t('page.unsubscribe.button'))}</button>`,
    ),
    locale,
  );
}

function digestOffPage(event: HttpEvent): string {
  return simplePage(
    'Stop the usage digest?',
    "You'll no longer get the weekly or monthly summary of your usage. Balance alerts stay as they are.",
    postBackForm(
      event,
      `<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="${BUTTON_STYLE}">Stop the digest</button>`,
    ),
  );
}

import { ACCOUNT_ID, accountView, EXTERNAL_ID } from '../accounts/model.ts';
import { findAccount, findAccountIdByExternalId } from '../accounts/store.ts';
import { logFallback } from '../copy/account-copy.ts';
import type { MessageKey } from '../copy/catalogue/en.ts';
import type { Locale } from '../copy/locales.ts';
import { previewSurface, SURFACES, type Surface } from '../copy/preview.ts';
import { CATALOGUES, copyFor, type Overrides } from '../copy/render.ts';
import { type CopyDeps, experimentView, LOCALE, putVariant, restoreVersion, save, switchExperiment, VARIANT_ID, VERSION } from '../copy/routes.ts';
import { copyVersions, currentExperiment, currentOverrides } from '../copy/store.ts';
import { templateProblems } from '../copy/template.ts';
import { experimentProblems } from '../copy/variants.ts';
import { renderReportPage } from '../funnel/page.ts';
import type { GroupBy } from '../funnel/report.ts';
import { recoveryReportFor, reportWindow } from '../funnel/routes.ts';
import { errorPage } from '../http/error-page.ts';
import type { RouteMap } from '../http/handler.ts';
import { formBody, pathParam } from '../http/request.ts';
import { html } from '../http/response.ts';
import type { HttpEvent, HttpResult, RouteHandler } from '../http/types.ts';
import { ledgerEntryView } from '../metering/ledger.ts';
import { ledgerPage } from '../metering/ledger-store.ts';
import { ForbiddenError, TollgateError, ValidationError } from '../shared/errors.ts';
import { secretsEqual } from '../shared/ids.ts';
import { adminKey } from '../shared/secrets.ts';
import { accountsPage, editorPage, homePage, previewPage, signInPage, variantsPage } from './pages.ts';
import { csrfValid, newSessionToken, type Session, sessionCookie, sessionOf } from './session.ts';

const AUTHOR = 'console';
const VERSIONS_SHOWN = 20;
const LEDGER_SHOWN = 20;

/** The operator console: pages for people, behind a session cookie got by signing in with the admin key. */
export function consoleRoutes(deps: CopyDeps): RouteMap {
  return pages({
    'GET /console/sign-in': async () => html(200, signInPage()),
    'POST /console/sign-in': async (event) => {
      const given = formBody(event).get('adminKey') ?? '';
      if (!secretsEqual(given, await adminKey())) return html(401, signInPage('That is not the admin key.'));
      return redirect('/console', { 'Set-Cookie': sessionCookie(event, await newSessionToken(deps.clock.now())) });
    },
    'POST /console/sign-out': signedIn(deps, true, async (event) => redirect('/console/sign-in', { 'Set-Cookie': sessionCookie(event, undefined) })),
    'GET /console': signedIn(deps, false, async (_event, session) => html(200, homePage(session.csrf))),
    'GET /console/copy/{locale}': signedIn(deps, false, async (event, session) => {
      const locale = localeOf(event);
      return html(200, editorPage(await editorState(locale), session.csrf));
    }),
    'POST /console/copy/{locale}': signedIn(deps, true, async (event, session) => {
      const locale = localeOf(event);
      const form = formBody(event);
      const current = await currentOverrides(locale);
      const submitted = new Map<string, string>();
      const messages: Overrides = { ...current?.messages };
      for (const key of Object.keys(CATALOGUES[locale]) as MessageKey[]) {
        const field = form.get(`m:${key}`);
        if (field === null) continue;
        // An emptied field, or the default itself, means "no override" (templates are one line: line breaks are refused).
        const value = field;
        submitted.set(key, value);
        if (value.trim() === '' || value === CATALOGUES[locale][key]) delete messages[key];
        else messages[key] = value;
      }
      const problems = Object.entries(messages).flatMap(([key, template]) => templateProblems(key, template ?? ''));
      if (problems.length > 0) return html(400, editorPage({ ...(await editorState(locale)), submitted, problems }, session.csrf));
      await save(locale, messages, AUTHOR, deps, { action: 'put' });
      return html(200, editorPage({ ...(await editorState(locale)), saved: true }, session.csrf));
    }),
    'GET /console/copy/{locale}/preview': signedIn(deps, false, async (event, session) => {
      const locale = localeOf(event);
      const surface = event.queryStringParameters?.surface ?? '402';
      if (!(SURFACES as readonly string[]).includes(surface))
        throw new ValidationError(`There is no surface "${surface}"; choose one of ${SURFACES.join(', ')}.`);
      const copy = copyFor(locale, (await currentOverrides(locale))?.messages ?? {}, logFallback);
      return html(200, previewPage(locale, surface, previewSurface(surface as Surface, copy, deps.pricing, deps.clock.now()), session.csrf));
    }),
    'POST /console/copy/{locale}/versions/{version}/restore': signedIn(deps, true, async (event) => {
      const locale = localeOf(event);
      await restoreVersion(locale, Number(pathParam(event, 'version', VERSION)), AUTHOR, deps);
      return redirect(`/console/copy/${locale}`);
    }),
    'GET /console/accounts': signedIn(deps, false, async (event, session) => {
      const query = (event.queryStringParameters?.q ?? '').trim();
      if (query === '') return html(200, accountsPage(session.csrf, ''));
      if (!EXTERNAL_ID.test(query))
        return html(400, accountsPage(session.csrf, query, undefined, 'An account id or externalId is 1–128 printable characters without spaces.'));
      const id = ACCOUNT_ID.test(query) ? query : await findAccountIdByExternalId(query);
      const account = id ? await findAccount(id) : undefined;
      if (!account) return html(404, accountsPage(session.csrf, query, undefined, `No account has the id or externalId "${query}".`));
      const { entries } = await ledgerPage(account.id, LEDGER_SHOWN);
      return html(200, accountsPage(session.csrf, query, { account: accountView(account, deps.clock.now()), ledger: entries.map(ledgerEntryView) }));
    }),
    // The funnel's report page, behind the console's session instead of a signed link.
    'GET /console/recovery': signedIn(deps, false, async (event) => {
      const now = deps.clock.now();
      const { from, to, groupBy } = reportWindow(event, now);
      const [report, whole] = await Promise.all([recoveryReportFor(from, to, groupBy, now), recoveryReportFor(from, to, 'none', now)]);
      const total = whole.groups[0];
      if (!total) throw new Error('an ungrouped report always has one group');
      const hrefFor = (option: GroupBy) => `/console/recovery?${new URLSearchParams({ from, to, groupBy: option }).toString()}`;
      return html(200, renderReportPage({ groupBy, report, total, hrefFor }));
    }),
    'GET /console/copy/{locale}/variants': signedIn(deps, false, async (event, session) => {
      const locale = localeOf(event);
      return html(200, variantsPage({ locale, experiment: experimentView(locale, await currentExperiment(locale)) }, session.csrf));
    }),
    'POST /console/copy/{locale}/variants': signedIn(deps, true, async (event, session) => {
      const locale = localeOf(event);
      const form = formBody(event);
      const submitted = { variantId: form.get('variantId') ?? '', weight: form.get('weight') ?? '', messages: form.get('messages') ?? '' };
      const { messages, problems } = parseVariantForm(submitted);
      if (problems.length === 0) {
        // The weights are checked against the experiment they would join, before anything is written.
        const running = await currentExperiment(locale);
        const variants = { ...(running?.enabled ? running.variants : {}), [submitted.variantId]: { messages, weight: Number(submitted.weight) } };
        problems.push(...experimentProblems(variants));
      }
      if (problems.length > 0) {
        const experiment = experimentView(locale, await currentExperiment(locale));
        return html(400, variantsPage({ locale, experiment, problems, submitted }, session.csrf));
      }
      await putVariant(locale, submitted.variantId, messages, Number(submitted.weight), AUTHOR, deps);
      return redirect(`/console/copy/${locale}/variants`);
    }),
    'POST /console/copy/{locale}/experiment': signedIn(deps, true, async (event) => {
      const locale = localeOf(event);
      const enabled = formBody(event).get('enabled');
      if (enabled !== 'true' && enabled !== 'false') throw new ValidationError('enabled must be true or false.');
      await switchExperiment(locale, enabled === 'true', AUTHOR, deps);
      return redirect(`/console/copy/${locale}/variants`);
    }),
  });
}

/** The variant form: an id, a whole percent, and `key = template` lines, each template valid for its key. */
function parseVariantForm(form: { variantId: string; weight: string; messages: string }): { messages: Overrides; problems: string[] } {
  const problems: string[] = [];
  if (!VARIANT_ID.test(form.variantId)) problems.push('The variant id must be 1–32 lowercase letters, digits, - or _ (and not "control").');
  if (!/^(100|[1-9]?[0-9])$/.test(form.weight)) problems.push('The weight must be a whole percent from 0 to 100.');
  const messages: Overrides = {};
  for (const line of form.messages.split(/\r?\n/).filter((l) => l.trim() !== '')) {
    const at = line.indexOf('=');
    const key = line.slice(0, Math.max(at, 0)).trim();
    const template = line.slice(at + 1).trim();
    if (at < 1) {
      problems.push(`"${line.trim()}" is not a line of the form key = template.`);
      continue;
    }
    problems.push(...templateProblems(key, template));
    messages[key as MessageKey] = template;
  }
  if (Object.keys(messages).length === 0 && problems.length === 0) problems.push('A variant needs at least one template.');
  return { messages, problems };
}

type SessionHandler = (event: HttpEvent, session: Session) => Promise<HttpResult>;

/** Without a valid session, to the sign-in page; a form (`post`) must also carry the session's CSRF token. */
function signedIn(deps: CopyDeps, post: boolean, handle: SessionHandler): RouteHandler {
  return async (event) => {
    const session = await sessionOf(event, deps.clock.now());
    if (!session) return redirect('/console/sign-in');
    if (post && !csrfValid(session, formBody(event).get('csrf'))) {
      throw new ForbiddenError('This form is stale or did not come from the console (its CSRF token is missing or wrong). Reload the page and try again.');
    }
    return handle(event, session);
  };
}

/** Console errors are pages for people, whatever the client asked for. */
function pages(routes: Record<string, RouteHandler>): RouteMap {
  return Object.fromEntries(
    Object.entries(routes).map(([key, handle]) => [
      key,
      async (event: HttpEvent) => {
        try {
          return await handle(event);
        } catch (error) {
          if (error instanceof TollgateError && error.problem.status < 500) return errorPage(error.problem);
          throw error;
        }
      },
    ]),
  );
}

function redirect(location: string, headers: Record<string, string> = {}): HttpResult {
  return { statusCode: 303, headers: { Location: location, 'Cache-Control': 'no-store', ...headers } };
}

function localeOf(event: HttpEvent): Locale {
  return pathParam(event, 'locale', LOCALE) as Locale;
}

async function editorState(locale: Locale) {
  const [current, versions] = await Promise.all([currentOverrides(locale), copyVersions(locale, VERSIONS_SHOWN)]);
  return { locale, current, versions };
}

import { logFallback } from '../copy/account-copy.ts';
import type { MessageKey } from '../copy/catalogue/en.ts';
import type { Locale } from '../copy/locales.ts';
import { previewSurface, SURFACES, type Surface } from '../copy/preview.ts';
import { CATALOGUES, copyFor, type Overrides } from '../copy/render.ts';
import { type CopyDeps, LOCALE, restoreVersion, save, VERSION } from '../copy/routes.ts';
import { copyVersions, currentOverrides } from '../copy/store.ts';
import { templateProblems } from '../copy/template.ts';
import { errorPage } from '../http/error-page.ts';
import type { RouteMap } from '../http/handler.ts';
import { formBody, pathParam } from '../http/request.ts';
import { html } from '../http/response.ts';
import type { HttpEvent, HttpResult, RouteHandler } from '../http/types.ts';
import { ForbiddenError, TollgateError, ValidationError } from '../shared/errors.ts';
import { secretsEqual } from '../shared/ids.ts';
import { adminKey } from '../shared/secrets.ts';
import { editorPage, homePage, previewPage, signInPage } from './pages.ts';
import { csrfValid, newSessionToken, type Session, sessionCookie, sessionOf } from './session.ts';

const AUTHOR = 'console';
const VERSIONS_SHOWN = 20;

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
  });
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

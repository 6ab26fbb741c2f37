import { routeKey, routes } from '../routes.ts';
import type { ProblemFields } from '../shared/errors.ts';
import { simplePage } from './page.ts';
import { header } from './request.ts';
import { html } from './response.ts';
import type { HttpEvent, HttpResult } from './types.ts';

/** Routes people reach by clicking a link (and their HEAD twins). */
const PAGE_ROUTES = new Set(routes.filter((route) => route.auth === 'link').flatMap((route) => [routeKey(route), `HEAD ${route.path}`]));

/** A browser (it asks for HTML) opening a link: its errors are pages, not problem+json. */
export function wantsErrorPage(event: HttpEvent): boolean {
  return PAGE_ROUTES.has(event.routeKey) && /\btext\/html\b/i.test(header(event, 'accept') ?? '');
}

/** An error as a page for people, with the problem's status and headers; its detail says what to do next. */
export function errorPage(problem: ProblemFields): HttpResult {
  const page = html(problem.status, simplePage(problem.title, problem.detail));
  return { ...page, headers: { ...page.headers, ...problem.headers } };
}

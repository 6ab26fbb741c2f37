import { httpHandler } from '../http/handler.ts';
import { json } from '../http/response.ts';
import { allowedMethods } from '../http/route-match.ts';
import { MethodNotAllowedError, NotFoundError } from '../shared/errors.ts';
import type { Health } from './openapi.ts';

/**
 * `GET /health` and the `$default` route: requests that match no route. A known path with another
 * method is a 405 with `Allow` (from the route table); an unknown path a problem+json 404.
 */
export const handler = httpHandler({
  'GET /health': async () => json(200, { status: 'ok' } satisfies Health),
  $default: async (event) => {
    const { method } = event.requestContext.http;
    const allowed = allowedMethods(event.rawPath);
    // An allowed method lands here only when its path could not be routed (e.g. broken percent-encoding): a 404.
    if (allowed.length > 0 && !allowed.includes(method)) throw new MethodNotAllowedError(method, event.rawPath, allowed);
    throw new NotFoundError(`There is no route ${method} ${event.rawPath}. See the API reference in docs/openapi.json.`);
  },
});

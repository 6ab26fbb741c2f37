import { httpHandler } from '../http/handler.ts';
import { json } from '../http/response.ts';
import { NotFoundError } from '../shared/errors.ts';

/** `GET /health` and the `$default` route, which answers unknown paths with problem+json. */
export const handler = httpHandler({
  'GET /health': async () => json(200, { status: 'ok' }),
  $default: async (event) => {
    throw new NotFoundError(`There is no route ${event.requestContext.http.method} ${event.rawPath}. See the API reference in docs/openapi.json.`);
  },
});

import middy from '@middy/core';
import type { HttpEvent, HttpResult } from '../../functions/http/types.ts';
import { meter } from '../../functions/metering/meter.ts';

/**
 * A platform team's own Lambda metered with `meter()` (what `tollgate/meter` brings into its
 * bundle), with work that does nothing: bundled and timed beside Tollgate's functions, as the
 * metered path's cost in a function Tollgate does not own (issue 12).
 */
export const handler = middy<HttpEvent, HttpResult>()
  .use(meter({ price: 'search' }))
  .handler(async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' }));

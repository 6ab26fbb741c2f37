import { catalogService } from '../../functions/queries/service.ts';
import { handler as debit } from '../sdk-only/handler.ts';

/**
 * The SDK-only handler (bench/sdk-only) doing the example service's work: its one `UpdateItem`,
 * then the search of `functions/queries/service.ts` (the bundled parts catalogue, its input schemas
 * and the shared field schemas they use, with `zod/mini`), with no metering. Tollgate's queries
 * function carries the same work (the baseline does too), so against this the bench shows what
 * metering adds to that function, apart from the work.
 */
export async function handler(event: { accountId?: string; q?: string }): Promise<{ statusCode: number; body: string }> {
  const input = catalogService.inputSchema('search')?.parse({ q: event.q ?? 'bolt' });
  await debit(event);
  return { statusCode: 200, body: JSON.stringify(await catalogService.run('search', input)) };
}

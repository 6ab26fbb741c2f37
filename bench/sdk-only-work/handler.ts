import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { catalogService } from '../../functions/queries/service.ts';

/**
 * The SDK-only handler (bench/sdk-only) doing the example service's work: it debits with one
 * `UpdateItem` and runs the search of `functions/queries/service.ts` (the bundled parts catalogue,
 * its input schemas and the shared field schemas they use, with `zod/mini`), with no metering.
 * Tollgate's queries function carries the same work (the baseline does too), so against this the
 * bench shows what metering adds to that function, apart from the work.
 */
const client = new DynamoDBClient({});
const tableName = process.env.TABLE_NAME ?? 'bench';

export async function handler(event: { accountId?: string; q?: string }): Promise<{ statusCode: number; body: string }> {
  const input = catalogService.inputSchema('search')?.parse({ q: event.q ?? 'bolt' });
  await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { pk: { S: `ACCOUNT#${event.accountId ?? ''}` }, sk: { S: 'ACCOUNT' } },
      UpdateExpression: 'SET balance = balance - :price',
      ConditionExpression: 'balance >= :price',
      ExpressionAttributeValues: { ':price': { N: '1' } },
    }),
  );
  return { statusCode: 200, body: JSON.stringify(await catalogService.run('search', input)) };
}

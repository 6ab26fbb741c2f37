import { createHash } from 'node:crypto';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { priceBook } from '../../functions/pricing/configured.ts';
import { catalogService, type MeteredService } from '../../functions/queries/service.ts';

/**
 * The baseline: a metered endpoint written the conventional way. Powertools idempotency around
 * the handler (an in-progress record put before, completed after), then read the balance with
 * GetItem, check it in code, and write the new balance with UpdateItem. No ledger, no refunds.
 * Same table layout, same work, same prices as Tollgate, so only the metering differs.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT;
export const client = new DynamoDBClient(
  endpoint ? { endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 } : { maxAttempts: 3 },
);
const documents = DynamoDBDocumentClient.from(client);
const tableName = process.env.BASELINE_TABLE_NAME ?? process.env.TABLE_NAME ?? 'baseline';

/** The work, swappable by the benchmark (the same flaky service is given to Tollgate). */
export const deps: { service: MeteredService; onCharge?: (idempotencyKey: string, credits: number) => void } = { service: catalogService };

const persistenceStore = new DynamoDBPersistenceLayer({ tableName, keyAttr: 'pk', sortKeyAttr: 'sk', awsSdkV3Client: client });
const idempotency = new IdempotencyConfig({ eventKeyJmesPath: 'headers."idempotency-key"' });

const owners = new Map<string, { accountId: string; keyId: string }>();

const reply = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

async function meteredQuery(event: APIGatewayProxyEventV2, _context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const token = /^Bearer (\S+)$/.exec(event.headers.authorization ?? '')?.[1];
  if (!token) return reply(401, { error: 'Unauthorized' });
  const hash = createHash('sha256').update(token).digest('base64url');
  let owner = owners.get(hash);
  if (!owner) {
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { pk: `APIKEY#${hash}`, sk: 'APIKEY' }, ConsistentRead: true }));
    if (!Item) return reply(401, { error: 'Unauthorized' });
    owner = { accountId: Item.accountId, keyId: Item.keyId };
    owners.set(hash, owner);
  }
  const { operation, input } = JSON.parse(event.body ?? '{}');
  const price = priceBook().operations[operation];
  const schema = deps.service.inputSchema(operation);
  if (price === undefined || !schema) return reply(400, { error: 'UnknownOperation' });
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) return reply(400, { error: 'ValidationError' });

  const key = { pk: `ACCOUNT#${owner.accountId}`, sk: 'ACCOUNT' };
  const { Item: account } = await documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  if (!account?.keys?.[owner.keyId]) return reply(401, { error: 'Unauthorized' });
  if (account.balance < price) return reply(402, { error: 'InsufficientBalance', message: `This ${operation} needs ${price} credits.` });
  await documents.send(
    new UpdateCommand({ TableName: tableName, Key: key, UpdateExpression: 'SET balance = balance - :price', ExpressionAttributeValues: { ':price': price } }),
  );
  deps.onCharge?.(event.headers['idempotency-key'] ?? '', price);

  const result = await deps.service.run(operation, parsed.data);
  return reply(200, { operation, status: 'completed', charged: price, result, balance: { available: account.balance - price } });
}

const idempotent = makeIdempotent(meteredQuery, { persistenceStore, config: idempotency });

/** The error mapping sits outside the idempotent part, so a thrown error lets a retry run again (Powertools' documented pattern). */
export async function handler(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return await idempotent(event, context);
  } catch (error) {
    if (error instanceof IdempotencyAlreadyInProgressError) return reply(409, { error: 'InProgress' });
    return reply(500, { error: 'InternalError' });
  }
}

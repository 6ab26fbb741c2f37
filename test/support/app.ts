import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { resetPriceBook } from '../../functions/pricing/configured.ts';
import type { PriceBook } from '../../functions/pricing/price-book.ts';
import { resetConfig } from '../../functions/shared/config.ts';
import { ensureTable, localCredentials, localRegion, startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { type Gateway, type HttpLambdas, loadLambdas, startGateway } from '../../local/gateway.ts';
import { freePort } from '../../local/ports.ts';
import { type StreamLambda, StreamPoller } from '../../local/stream-poller.ts';

export const ADMIN_KEY = `tgadmin_test_${randomBytes(12).toString('hex')}`;
export const LINK_SECRET = `link-secret-${randomBytes(16).toString('hex')}`;

export interface TestApp {
  url: string;
  client: DynamoDBClient;
  tableName: string;
  poller: StreamPoller;
  /** Waits until the stream handler has seen every write so far (the ledger is projected from the stream). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** The real handlers behind the local gateway, on a fresh table of the run's DynamoDB Local. */
export interface TestAppOptions {
  /** Replace HTTP handlers (e.g. work that fails). */
  lambdas?: (real: HttpLambdas) => Partial<HttpLambdas>;
  /** Wrap or replace the stream handler the poller feeds (e.g. to record or redeliver batches). */
  stream?: (real: StreamLambda) => StreamLambda;
  /**
   * The price book the handlers read. Handlers read it once per module instance, like a Lambda
   * container: give it to the first app a test file starts. @default this repository's (tollgate.prices.json)
   */
  priceBook?: PriceBook;
  /** A DynamoDB Local of the test's own. @default the one the whole run shares */
  dynamoDbEndpoint?: string;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const endpoint = options.dynamoDbEndpoint ?? inject('dynamoDbEndpoint');
  const tableName = `tollgate-test-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  Object.assign(process.env, {
    TOLLGATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LINK_SIGNING_SECRET: LINK_SECRET,
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: endpoint,
    SES_ENDPOINT: inject('sesUrl'),
    TOLLGATE_ADMIN_KEY: ADMIN_KEY,
    AWS_REGION: 'local',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    ...(options.priceBook ? { TOLLGATE_PRICE_BOOK: JSON.stringify(options.priceBook) } : {}),
  });
  resetConfig();
  resetPriceBook();
  const client = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
  await ensureTable(client, tableName);
  const streamHandler = (await import('../../functions/streams/handler.ts')).handler as StreamLambda;
  const poller = new StreamPoller({ client, endpoint, tableName, handler: options.stream?.(streamHandler) ?? streamHandler, intervalMs: 50, maxAttempts: 5 });
  poller.start();
  const real = await loadLambdas();
  const gateway: Gateway = await startGateway({ port, lambdas: { ...real, ...options.lambdas?.(real) } });
  return {
    url: gateway.url,
    client,
    tableName,
    poller,
    settle: () => poller.drain(),
    stop: async () => {
      await gateway.stop();
      await poller.stop();
      await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {});
      client.destroy();
    },
  };
}

/** Every item in the table, for "nothing changed" checks. */
export async function tableSnapshot(app: TestApp): Promise<string> {
  // After the stream has projected every write so far (ledger, funnel, webhooks): a snapshot taken while the
  // consumer still works on earlier writes would differ from the next for reasons that have nothing to do with the test.
  await app.settle();
  const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await app.client.send(new ScanCommand({ TableName: app.tableName, ConsistentRead: true, ExclusiveStartKey: start as never }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items.map((item) => JSON.stringify(item)).sort());
}

/**
 * A test app on a DynamoDB Local of its own, stopped with it: for files whose hundreds of racing
 * writes should measure Tollgate, not a Java process slowed by every table the run left behind.
 * The handlers' DynamoDB client is made once per module instance: list the file in vitest.config.ts's
 * OWN_MODULE_STATE so it runs in a fresh worker.
 */
export async function startIsolatedTestApp(options: Omit<TestAppOptions, 'dynamoDbEndpoint'> = {}): Promise<TestApp> {
  const dynamoDb = await startDynamoDbLocal({ port: await freePort() });
  const app = await startTestApp({ ...options, dynamoDbEndpoint: dynamoDb.endpoint });
  return {
    ...app,
    stop: async () => {
      await app.stop();
      await dynamoDb.stop();
    },
  };
}

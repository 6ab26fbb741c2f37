import { join } from 'node:path';
import type { PriceBook } from '../functions/pricing/price-book.ts';
import { type CheckoutSandbox, startCheckoutSandbox } from './checkout-sandbox.ts';
import { type DynamoDbLocal, ensureTable, startDynamoDbLocal } from './dynamodb-local.ts';
import { type Gateway, type HttpLambdas, loadLambdas, startGateway } from './gateway.ts';
import { persistedSecret } from './persisted-secret.ts';
import { freePort } from './ports.ts';
import { LocalScheduler } from './scheduler.ts';
import { startSesLocal } from './ses-local.ts';
import { type StreamLambda, StreamPoller } from './stream-poller.ts';
import { throttleProxyFromEnv } from './throttle-proxy.ts';
import { LocalDeliveryQueue } from './webhook-queue.ts';

export interface LocalStackOptions {
  /** API port; 0 picks a free one. */
  port: number;
  dynamoDbPort: number;
  sesPort: number;
  adminKey: string;
  tableName?: string;
  /** Persist DynamoDB Local's data (and the stream checkpoint) here; in memory when absent. */
  dataDir?: string;
  /** Replace some handlers (tests inject failing work this way). */
  lambdas?: Partial<HttpLambdas>;
  /** The price book every handler reads (`npm start` reads `tollgate.prices.json`). */
  priceBook: PriceBook;
  /** Start no gateway: for tests that start their own. */
  withoutGateway?: boolean;
  /** Port of the checkout sandbox (the stand-in for Stripe's hosted page); 0 picks a free one. Not started when STRIPE_SECRET_KEY is set. */
  checkoutSandboxPort?: number;
}

export interface LocalStack {
  apiUrl: string;
  sesUrl: string;
  dynamoDb: DynamoDbLocal;
  tableName: string;
  poller: StreamPoller;
  gateway?: Gateway;
  /** The checkout sandbox, unless real Stripe is configured. */
  checkoutSandbox?: CheckoutSandbox;
  stop(): Promise<void>;
}

/**
 * Everything Tollgate needs, on this machine: DynamoDB Local with the table, the SES endpoint,
 * the stream poller and the HTTP gateway in front of the real handlers.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const tableName = options.tableName ?? 'tollgate';
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => {});
  };
  try {
    const dynamoDb = await startDynamoDbLocal({ port: options.dynamoDbPort, dataDir: options.dataDir });
    started.push(dynamoDb);
    await ensureTable(dynamoDb.client, tableName);
    const throttle = await throttleProxyFromEnv(dynamoDb.endpoint);
    if (throttle) started.push(throttle);
    const ses = await startSesLocal(options.sesPort);
    started.push(ses);
    const port = options.port === 0 ? await freePort() : options.port;
    // Kept with the data, so links already emailed and the sandbox's webhook secret survive a restart.
    const webhookSecret = persistedSecret({ name: 'stripe-webhook', given: process.env.STRIPE_WEBHOOK_SECRET, dataDir: options.dataDir, prefix: 'whsec_' });
    let checkoutSandbox: CheckoutSandbox | undefined;
    if (!process.env.STRIPE_SECRET_KEY) {
      checkoutSandbox = await startCheckoutSandbox({
        port: options.checkoutSandboxPort ?? 0,
        webhookSecret,
        webhookUrl: `http://127.0.0.1:${port}/v1/webhooks/stripe`,
      });
      started.push(checkoutSandbox);
    }
    Object.assign(process.env, {
      TOLLGATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LINK_SIGNING_SECRET: persistedSecret({ name: 'link-signing', given: process.env.LINK_SIGNING_SECRET, dataDir: options.dataDir }),
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      ...(checkoutSandbox ? { CHECKOUT_SANDBOX_URL: checkoutSandbox.url } : {}),
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: throttle?.endpoint ?? dynamoDb.endpoint,
      SES_ENDPOINT: ses.url,
      TOLLGATE_ADMIN_KEY: options.adminKey,
      AWS_REGION: process.env.AWS_REGION ?? 'local',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // What the stack bakes into each bundle on AWS is an environment variable here (functions/pricing/configured.ts).
      TOLLGATE_PRICE_BOOK: JSON.stringify(options.priceBook),
      // Receivers on this machine may use plain http (https everywhere else).
      WEBHOOK_ALLOW_LOOPBACK_HTTP: process.env.WEBHOOK_ALLOW_LOOPBACK_HTTP ?? 'on',
    });
    const streamHandler = (await import('../functions/streams/handler.ts')).handler as StreamLambda;
    const poller = new StreamPoller({
      client: dynamoDb.client,
      endpoint: dynamoDb.endpoint,
      tableName,
      handler: streamHandler,
      checkpointFile: options.dataDir ? join(options.dataDir, 'stream-checkpoint.json') : undefined,
      deadLetterFile: options.dataDir ? join(options.dataDir, 'stream-dead-letters.jsonl') : undefined,
    });
    poller.start();
    started.push(poller);
    const { sesSender } = await import('../functions/alerts/ses-sender.ts');
    const { priceBook } = await import('../functions/pricing/configured.ts');
    const { systemClock } = await import('../functions/shared/clock.ts');
    const scheduler = new LocalScheduler({ sender: sesSender(), clock: systemClock, pricing: priceBook() });
    scheduler.start();
    started.push(scheduler);
    // Webhook deliveries: the in-process stand-in for the SQS queue and its delivery function.
    const { useLocalDeliveryQueue } = await import('../functions/webhooks/queue.ts');
    const { workOn } = await import('../functions/webhooks/worker.ts');
    const webhookQueue = new LocalDeliveryQueue((message, queue) => workOn(message, queue, { clock: systemClock }));
    useLocalDeliveryQueue(webhookQueue);
    started.push({ stop: () => webhookQueue.stop().finally(() => useLocalDeliveryQueue(undefined)) });
    await webhookQueue.requeuePending();
    let gateway: Gateway | undefined;
    if (!options.withoutGateway) {
      gateway = await startGateway({ port, lambdas: { ...(await loadLambdas()), ...options.lambdas } });
      started.push(gateway);
    }
    return { apiUrl: gateway?.url ?? '', sesUrl: ses.url, dynamoDb, tableName, poller, gateway, checkoutSandbox, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

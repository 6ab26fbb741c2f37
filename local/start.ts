import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { readPriceBookFile } from '../lib/price-book-source.ts';
import { startLocalStack } from './stack.ts';
import { STREAM_DRAINED } from './stream-poller.ts';

/** `npm start`: the whole stack on this machine, a demo account, and what to call. */
const env = process.env;
const port = Number(env.PORT ?? 3000);
const generatedAdminKey = !env.TOLLGATE_ADMIN_KEY;
const adminKey = env.TOLLGATE_ADMIN_KEY || `tgadmin_${randomBytes(24).toString('base64url')}`;
const DEMO_CREDITS = 300;
/** The same file `cdk.json` gives the CDK app (`tollgate:priceBook`); validated before anything starts. */
const priceBookFile = env.TOLLGATE_PRICE_BOOK_FILE || resolve(import.meta.dirname, '..', 'tollgate.prices.json');

async function main() {
  const priceBook = readPriceBookFile(priceBookFile);
  console.log('Starting Tollgate locally: DynamoDB Local, SES endpoint, stream poller, API…');
  const stack = await startLocalStack({
    priceBook,
    port,
    dynamoDbPort: Number(env.DYNAMODB_LOCAL_PORT ?? 8000),
    sesPort: Number(env.SES_LOCAL_PORT ?? 8005),
    checkoutSandboxPort: Number(env.CHECKOUT_SANDBOX_PORT ?? 0),
    adminKey,
    dataDir: env.TOLLGATE_DATA_DIR ? resolve(env.TOLLGATE_DATA_DIR) : undefined,
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Tollgate…`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // `kill -USR2 <pid>` asks whether the ledger and the emails have caught up with the writes so far (tests wait on this line).
  process.on('SIGUSR2', () => void stack.poller.drain().then(() => console.log(STREAM_DRAINED)));

  const demo = await createDemoAccount(stack.apiUrl);
  console.log(`
Tollgate is running.

  API            ${stack.apiUrl}          (GET ${stack.apiUrl}/health)
  SES inbox      ${stack.sesUrl}/
  Checkout       ${stack.checkoutSandbox ? `${stack.checkoutSandbox.url}   (sandbox standing in for Stripe's hosted page; Buy links lead here)` : 'Stripe (STRIPE_SECRET_KEY is set)'}
  DynamoDB Local ${stack.dynamoDb.endpoint}   table "${stack.tableName}"${env.TOLLGATE_DATA_DIR ? ` persisted in ${env.TOLLGATE_DATA_DIR}` : ' (in memory)'}

  Price book     ${priceBookFile}

  Admin key      ${adminKey}${generatedAdminKey ? '   (generated; set TOLLGATE_ADMIN_KEY to choose one)' : ''}

  Demo account   ${demo.accountId}   ${DEMO_CREDITS} credits
  Demo API key   ${demo.apiKey}

Try it:
  curl -s ${stack.apiUrl}/v1/balance -H "Authorization: Bearer ${demo.apiKey}"
  curl -s ${stack.apiUrl}/v1/queries -H "Authorization: Bearer ${demo.apiKey}" \\
       -H 'Content-Type: application/json' -d '{"operation":"report","input":{"groupBy":"category"}}'

Ctrl-C stops everything.`);
}

async function createDemoAccount(apiUrl: string): Promise<{ accountId: string; apiKey: string }> {
  const call = async (path: string, body: unknown, idempotencyKey?: string) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json', ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}) },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`Creating the demo account failed at ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, string>;
  };
  const account = await call('/v1/accounts', { name: 'Demo Co', email: 'demo@example.com', plan: 'starter' });
  const key = await call(`/v1/accounts/${account.id}/keys`, { name: 'demo' });
  await call(`/v1/accounts/${account.id}/top-ups`, { credits: DEMO_CREDITS, reference: 'demo credits' }, `demo-${account.id}`);
  return { accountId: String(account.id), apiKey: String(key.key) };
}

main().catch((error: Error) => {
  console.error(`\nTollgate could not start: ${error.message}`);
  process.exit(1);
});

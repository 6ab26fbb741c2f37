import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HttpResult } from '../../functions/http/types.ts';
import { MeteredFunction } from '../../lib/metered-function.ts';
import { TollgateStack } from '../../lib/tollgate-stack.ts';
import { LINK_SECRET, startTestApp, type TestApp } from '../support/app.ts';
import { newCustomer } from '../support/http.ts';
import { apiEvent, invokeInProcess, localConnection, templateEnvironment } from '../support/lambda-run.ts';
import { pricing } from '../support/prices.ts';
import { cdkJsonContext } from './synth.ts';

/**
 * A team's metered handler, run with exactly the environment the synthesized template gives its
 * MeteredFunction (references swapped for their local stand-ins, nothing added): a variable the
 * construct forgets fails here, not for a customer.
 */
let app: TestApp;
let variables: Record<string, unknown>;

beforeAll(async () => {
  const cdk = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new TollgateStack(cdk, 'Tollgate', { env: { account: '123456789012', region: 'eu-west-1' } });
  const fn = new MeteredFunction(stack, 'Thumbnails', { entry: 'test/lib/fixtures/thumbnails-handler.ts', description: 'x', tollgate: stack.resources });
  stack.api.addMeteredRoute('POST', '/v1/thumbnails', fn);
  variables = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables;
  app = await startTestApp();
});
afterAll(() => app.stop());

/** Invokes the fixture handler in a fresh process whose environment is only the template's plus the way to the local stack. */
async function invokeAsDeployed(request: Parameters<typeof apiEvent>[0] & { pages: number }): Promise<HttpResult> {
  const environment = {
    ...templateEnvironment(variables, {
      TABLE_NAME: app.tableName,
      LINK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:local:0:secret:link',
      TOLLGATE_PUBLIC_URL: app.url,
    }),
    ...localConnection(inject('dynamoDbEndpoint'), LINK_SECRET),
    // Stands in for the price book the bundle has baked in (esbuild define): this run imports the unbundled handler.
    TOLLGATE_PRICE_BOOK: JSON.stringify(pricing),
  };
  const event = { ...apiEvent(request), queryStringParameters: { pages: String(request.pages) }, rawQueryString: `pages=${request.pages}` };
  const [invocation] = await invokeInProcess(path.join(import.meta.dirname, 'fixtures/thumbnails-handler.ts'), [event], environment);
  if (!invocation?.response) throw new Error(`The handler failed: ${invocation?.error}`);
  return invocation.response;
}

describe('a MeteredFunction with the environment its template gives it', () => {
  it('charges and says what it cost', async () => {
    const c = await newCustomer(app.url, 5);
    const reply = await invokeAsDeployed({ method: 'POST', path: '/v1/thumbnails', token: c.apiKey, pages: 2 });
    expect(reply.statusCode).toBe(200);
    expect(reply.headers).toMatchObject({ 'Credits-Charged': '2', 'Credits-Remaining': '3' });
  });

  it('answers a short caller with the 402 recovery answer, its usage link on the public URL', async () => {
    const c = await newCustomer(app.url, 1);
    const reply = await invokeAsDeployed({ method: 'POST', path: '/v1/thumbnails', token: c.apiKey, pages: 3 });
    expect(reply.statusCode).toBe(402);
    expect(reply.headers['Content-Type']).toContain('application/problem+json');
    const body = JSON.parse(String(reply.body));
    expect(body).toMatchObject({ balance: { available: 1, required: 3, shortfall: 2 } });
    expect(JSON.stringify(body)).toContain(`${app.url}/usage?token=`);
  });
});

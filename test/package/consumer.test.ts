import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HttpEvent } from '../../functions/http/types.ts';
import { ADMIN_KEY, LINK_SECRET, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { apiEvent, type Invocation, invokeInProcess, localConnection, templateEnvironment } from '../support/lambda-run.ts';
import { type ConsumerProject, consumerProjects, type Fixture, fixtures, installedVersion, repo } from './consumer-projects.ts';

/**
 * Tollgate as platform teams get it: the packed tarball installed into fresh projects outside
 * this repository (made in the background since the run started: consumer-projects.ts), each
 * running its meter()-wrapped handler, which imports `tollgate/meter` from the installed package,
 * against DynamoDB Local with exactly the environment its template gives it.
 */
const run = promisify(execFile);

let app: TestApp;
let projects: Map<Fixture['name'], ConsumerProject>;

beforeAll(async () => {
  // Run alone, this file waits for the whole preparation; in the full run it is long done.
  projects = await consumerProjects(inject('consumersDir'), 600_000);
  app = await startTestApp();
}, 900_000);

afterAll(async () => {
  await app?.stop();
});

const project = (name: Fixture['name']) => projects.get(name)!;

/** The consumer's MeteredFunction in its synthesized template. */
function thumbnailsFunction(name: Fixture['name']) {
  const entries = Object.entries(project(name).template.Resources).filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('Thumbnails'));
  expect(entries).toHaveLength(1);
  return entries[0]![1] as { Properties: { Environment: { Variables: Record<string, unknown> }; Code: { S3Key: string } } };
}

async function run402Flow(fixture: Fixture) {
  const funded = await newCustomer(app.url, 10);
  const short = await newCustomer(app.url, 1);
  const thumbnail = (token: string, idempotencyKey: string, body: unknown = {}): HttpEvent =>
    apiEvent({ method: 'POST', path: '/v1/thumbnails', token, idempotencyKey, body });
  const environment = {
    ...templateEnvironment(thumbnailsFunction(fixture.name).Properties.Environment.Variables, {
      TABLE_NAME: app.tableName,
      LINK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:local:0:secret:link',
      TOLLGATE_PUBLIC_URL: app.url,
    }),
    ...localConnection(inject('dynamoDbEndpoint'), LINK_SECRET),
    // Stands in for the price book the bundle has baked in (esbuild define): this run imports the unbundled handler.
    TOLLGATE_PRICE_BOOK: await readFile(path.join(project(fixture.name).dir, 'tollgate.prices.json'), 'utf8'),
  };
  const invocations = await invokeInProcess(
    path.join(project(fixture.name).dir, fixture.handler),
    [thumbnail(funded.apiKey, 'first'), thumbnail(funded.apiKey, 'first'), thumbnail(funded.apiKey, 'crash', { fail: true }), thumbnail(short.apiKey, 'short')],
    environment,
    project(fixture.name).dir,
  );
  const balance = async (accountId: string) => (await call(app.url, 'GET', `/v1/accounts/${accountId}`, { token: ADMIN_KEY })).body.balance.available as number;
  return { invocations, funded: await balance(funded.accountId), short: await balance(short.accountId) };
}

const responseOf = (invocation: Invocation | undefined) => {
  if (!invocation?.response) throw new Error(`unhandled Lambda error: ${invocation?.error}`);
  return { ...invocation.response, json: JSON.parse(String(invocation.response.body)) };
};

describe.each(fixtures)('a $name project with the packed tarball installed', (fixture) => {
  it(`synthesizes TollgateStack with its MeteredFunction${fixture.bundle ? ', every function bundled from the consumer’s own project' : ''}`, async () => {
    const { dir, template } = project(fixture.name);
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(8);
    if (!fixture.bundle) return;
    // Each function's code is an esbuild bundle in cdk.out: Tollgate's own handlers from node_modules/tollgate/dist, the team's from src/.
    const assets = new Set(await readdir(path.join(dir, 'cdk.out')));
    for (const fn of functions) {
      const asset = `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`;
      expect(assets.has(asset), asset).toBe(true);
      expect(await readdir(path.join(dir, 'cdk.out', asset))).toContain('index.mjs');
    }
    const ownBundle = await readFile(
      path.join(dir, 'cdk.out', `asset.${thumbnailsFunction(fixture.name).Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs'),
      'utf8',
    );
    expect(ownBundle).toContain('renderer crashed');
  });

  it('runs the meter()-wrapped handler from the installed package: 200 with headers, replay, refund on throw, the 402', async () => {
    const { invocations, funded, short } = await run402Flow(fixture);
    const [charged, replayed, crashed, refused] = invocations.map(responseOf);
    expect(charged).toMatchObject({ statusCode: 200, headers: { 'Credits-Charged': '2', 'Credits-Remaining': '8' }, json: { thumbnail: 'ok' } });
    expect(replayed).toMatchObject({ statusCode: 200, headers: { 'Idempotent-Replayed': 'true', 'Credits-Charged': '2' }, json: { thumbnail: 'ok' } });
    expect(crashed).toMatchObject({ statusCode: 500, json: { type: expect.stringContaining('work-failed'), refunded: 2 } });
    expect(refused!.statusCode).toBe(402);
    expect(refused!.headers['Content-Type']).toContain('application/problem+json');
    expect(refused!.json).toMatchObject({ balance: { available: 1, required: 2, shortfall: 1 } });
    expect(JSON.stringify(refused!.json)).toContain(`${app.url}/usage?token=`);
    expect({ funded, short }).toEqual({ funded: 8, short: 1 });
  });
});

describe('the TypeScript project', () => {
  it('bakes its own price book into every bundle that reads prices, Tollgate’s and its own', async () => {
    const { dir } = project('ts');
    const assets = (await readdir(path.join(dir, 'cdk.out'))).filter((name) => name.startsWith('asset.'));
    // A bundle is index.mjs and its chunks (loaded at cold start or on first use): the price book may sit in any of them.
    const bundleOf = async (asset: string) => {
      const files = (await readdir(path.join(dir, 'cdk.out', asset), { recursive: true })).filter((file) => file.endsWith('.mjs'));
      if (!files.includes('index.mjs')) return undefined;
      return (await Promise.all(files.map((file) => readFile(path.join(dir, 'cdk.out', asset, file), 'utf8')))).join('\n');
    };
    const bundles = (await Promise.all(assets.map(bundleOf))).filter((code) => code !== undefined);
    // The baked text: the consumer's price book (tollgate.prices.json) as the JSON string esbuild's define inlines.
    const baked = JSON.stringify(JSON.parse(await readFile(path.join(dir, 'tollgate.prices.json'), 'utf8'))).slice(1, -1);
    const readers = bundles.filter((code) => code.includes(baked));
    // Eight of Tollgate's functions read prices (the 402, emails, renewal, account creation, checkout, holds' overage
    // policy), and the team's metered function; the health check, alert settings, sweeper, webhooks, funnel and digest
    // jobs never do.
    expect(bundles).toHaveLength(16);
    expect(readers).toHaveLength(9);
    for (const code of readers) {
      expect(code).not.toContain('process.env.TOLLGATE_PRICE_BOOK');
      // Validated at synth and not again at each cold start: the price book's schema is not even in the bundle.
      expect(code).not.toContain('must be a list of top-up packs');
    }
  });

  it('type-checks against the package’s .d.ts files (strict, NodeNext)', async () => {
    const tsc = path.join(repo, 'node_modules', '.bin', 'tsc');
    await expect(run(tsc, ['-p', project('ts').dir], { cwd: project('ts').dir })).resolves.toBeDefined();
  });

  it('uses a different aws-cdk-lib minor than this repository, within the peer range', async () => {
    const installed = JSON.parse(await readFile(path.join(project('ts').dir, 'node_modules/aws-cdk-lib/package.json'), 'utf8')).version;
    expect(installed).toBe('2.270.0');
    expect(installed).not.toBe(await installedVersion('aws-cdk-lib'));
    const { peerDependencies } = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8'));
    expect(peerDependencies['aws-cdk-lib']).toBe('^2.270.0');
  });
});

describe('the tarball', () => {
  it('holds the compiled package and nothing of the repository’s tests, benchmark or CI', async () => {
    const dir = path.join(project('ts').dir, 'node_modules/tollgate');
    const top = (await readdir(dir)).sort();
    expect(top).toEqual(['LICENSE', 'README.md', 'dist', 'package.json']);
    const files = await readdir(path.join(dir, 'dist'), { recursive: true });
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'index.js.map', 'functions/metering/meter.js', 'functions/metering/meter.d.ts']));
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => /^(test|bench|local)\b/.test(file))).toEqual([]);
  });

  it('keeps the CDK out of tollgate/meter, the Lambda-side entry', async () => {
    // Records every module the entry's import graph resolves (ESM imports and require() alike).
    const script = [
      "import { registerHooks } from 'node:module';",
      'const seen = [];',
      'registerHooks({ resolve: (specifier, context, next) => { const resolved = next(specifier, context); seen.push(resolved.url); return resolved; } });',
      "await import('tollgate/meter');",
      'console.log(JSON.stringify(seen));',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project('esm').dir });
    const seen = JSON.parse(stdout) as string[];
    expect(seen).toEqual(expect.arrayContaining([expect.stringContaining('/node_modules/tollgate/dist/functions/metering/meter.js')]));
    expect(seen.filter((url) => /node_modules\/(aws-cdk-lib|constructs)\//.test(url))).toEqual([]);
  });
});

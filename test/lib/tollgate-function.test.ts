import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePriceBookJson } from '../../functions/pricing/price-book.ts';
import { httpFunctions } from '../../functions/routes.ts';
import { findLockFile, TollgateFunction, tollgateEntry } from '../../lib/tollgate-function.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tollgate-lockfile-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('findLockFile: the project esbuild bundles from is the consumer’s', () => {
  it.each(['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock'])('finds a %s in the directory or above it', async (name) => {
    const project = path.join(root, name.replace(/\W/g, ''));
    await mkdir(path.join(project, 'infra', 'bin'), { recursive: true });
    await writeFile(path.join(project, name), '');
    expect(findLockFile(path.join(project, 'infra', 'bin'))).toBe(path.join(project, name));
    expect(findLockFile(project)).toBe(path.join(project, name));
  });

  it('takes the nearest one, not one further up (a package inside a workspace)', async () => {
    const outer = path.join(root, 'workspace');
    await mkdir(path.join(outer, 'packages', 'api'), { recursive: true });
    await writeFile(path.join(outer, 'package-lock.json'), '');
    await writeFile(path.join(outer, 'packages', 'api', 'yarn.lock'), '');
    expect(findLockFile(path.join(outer, 'packages', 'api'))).toBe(path.join(outer, 'packages', 'api', 'yarn.lock'));
  });

  it('says which props to set when there is none', async () => {
    const bare = path.join(root, 'bare');
    await mkdir(bare);
    // The temporary directory's ancestors hold no lock file on these machines; skip rather than pass vacuously if one does.
    if (existsSync(path.join(tmpdir(), 'package-lock.json')) || existsSync('/package-lock.json')) return;
    expect(() => findLockFile(bare)).toThrow(
      `no lock file (package-lock.json, pnpm-lock.yaml, yarn.lock, bun.lock, bun.lockb) in ${bare} or above; set projectRoot (or depsLockFilePath)`,
    );
  });
});

describe('tollgateEntry', () => {
  it('resolves every handler of the route table to a file that exists, whatever the working directory', () => {
    for (const entry of Object.values(httpFunctions)) {
      const file = tollgateEntry(entry);
      expect(path.isAbsolute(file)).toBe(true);
      expect(existsSync(file), file).toBe(true);
    }
  });
});

describe('TollgateFunction props', () => {
  it('takes the handler as the name of an export: a dotted one would only fail when Lambda invokes it', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Props');
    const props = { entry: tollgateEntry(httpFunctions.health), description: 'props test' };
    expect(() => new TollgateFunction(stack, 'Dotted', { ...props, handler: 'index.main' })).toThrow(
      'TollgateFunction Dotted: handler must be the name of the entry\'s export, such as "handler"; got "index.main".',
    );
    const named = new TollgateFunction(stack, 'Named', { ...props, handler: 'main' });
    expect((named.node.defaultChild as CfnFunction).handler).toBe('index.main');
  });

  it('says where the missing entry file was looked for', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Entry');
    expect(() => new TollgateFunction(stack, 'Missing', { entry: 'src/missing.ts', description: 'entry test', projectRoot: root })).toThrow(
      `TollgateFunction Missing: no entry file at ${path.join(root, 'src/missing.ts')}.`,
    );
  });
});

describe('TollgateFunction bundling', () => {
  // The one function this repository bundles in its tests, as `cdk deploy` would; every function is bundled from
  // the packed tarball in test/package/consumer.test.ts, so the stack's own tests synthesize without esbuild.
  it('bundles a handler into a minified ESM index.mjs with its rarely used code in chunks loaded on first use, that answers when invoked', async () => {
    const outdir = path.join(root, 'cdk.out');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundled', { env: { account: '123456789012', region: 'eu-west-1' } });
    const priceBook = parsePriceBookJson(await readFile(path.join(import.meta.dirname, '../../tollgate.prices.json'), 'utf8'), 'tollgate.prices.json');
    const queries = new TollgateFunction(stack, 'Queries', { entry: tollgateEntry(httpFunctions.queries), description: 'bundling test', priceBook });
    const health = new TollgateFunction(stack, 'Health', { entry: tollgateEntry(httpFunctions.health), description: 'bundling test' });
    app.synth();
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function') as Record<
      string,
      { Properties: { Code: { S3Key: string }; Handler: string } }
    >;
    const fn = functions[stack.getLogicalId(queries.node.defaultChild as CfnFunction)];
    expect(fn!.Properties.Handler).toBe('index.handler');
    // Each function its own bundle (CDK caches staged assets by their bundling options).
    expect(functions[stack.getLogicalId(health.node.defaultChild as CfnFunction)]!.Properties.Code.S3Key).not.toBe(fn!.Properties.Code.S3Key);
    const asset = path.join(outdir, `asset.${fn!.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    const files = (await readdir(asset, { recursive: true })).filter((file) => file.endsWith('.mjs')).sort();
    expect(files).toContain('index.mjs');
    for (const file of files) {
      expect(existsSync(path.join(asset, `${file}.map`)), `${file}.map`).toBe(true);
      const code = await readFile(path.join(asset, file), 'utf8');
      expect(code.split('\n').length, file).toBeLessThan(50); // minified
      expect(code, file).not.toMatch(/from\s*["'](@aws-sdk|@middy|zod)/); // dependencies inside, not imported at run time
    }
    // A fresh Node imports the bundle and answers one request (401: no key), recording every module it loads.
    const script = `import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, nextLoad) { loaded.push(url); return nextLoad(url, context); } });
const { handler } = await import(${JSON.stringify(pathToFileURL(path.join(asset, 'index.mjs')).href)});
const atStart = [...loaded];
const reply = await handler({ version: '2.0', routeKey: 'POST /v1/queries', rawPath: '/v1/queries', rawQueryString: '', headers: {}, body: '{}', isBase64Encoded: false,
  requestContext: { http: { method: 'POST', path: '/v1/queries', sourceIp: '127.0.0.1', userAgent: 'test' }, requestId: 'r', routeKey: 'POST /v1/queries', stage: '$default', timeEpoch: 0 } }, { awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 });
console.log(JSON.stringify({ reply, atStart, afterRequest: loaded }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        TABLE_NAME: 'bundling-test',
        AWS_REGION: 'eu-west-1',
        TOLLGATE_ADMIN_KEY: 'a'.repeat(40),
        LINK_SIGNING_SECRET: 'b'.repeat(64),
      },
    });
    const { reply, atStart, afterRequest } = JSON.parse(stdout) as { reply: unknown; atStart: string[]; afterRequest: string[] };
    expect(reply).toMatchObject({ statusCode: 401, headers: { 'Content-Type': expect.stringContaining('application/problem+json') } });
    const bundleFiles = (urls: string[]) =>
      urls.filter((url) => url.startsWith(pathToFileURL(asset).href)).map((url) => path.relative(asset, fileURLToPath(url)));
    expect(bundleFiles(atStart)).toContain('index.mjs');
    // The 402's German copy and the Secrets Manager client are in the asset, but neither the cold start nor a request
    // that needs them loads them.
    const holding = async (text: string) =>
      (await Promise.all(files.map(async (file) => ((await readFile(path.join(asset, file), 'utf8')).includes(text) ? file : undefined)))).filter(Boolean);
    for (const rare of ['Ihr Guthaben ist aufgebraucht', 'secretsmanager']) {
      const chunks = await holding(rare);
      expect(chunks.length, rare).toBeGreaterThan(0);
      for (const chunk of chunks) expect(bundleFiles(afterRequest), `${chunk} (${rare}) loaded`).not.toContain(chunk);
    }
  }, 120_000);
});

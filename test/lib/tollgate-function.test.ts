import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      `no lock file (package-lock.json, pnpm-lock.yaml, yarn.lock, bun.lock, bun.lockb) in ${bare} or above; set projectRoot and depsLockFilePath`,
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

describe('TollgateFunction bundling', () => {
  // The one function this repository bundles in its tests, as `cdk deploy` would; every function is bundled from
  // the packed tarball in test/package/consumer.test.ts, so the stack's own tests synthesize without esbuild.
  it('bundles a handler from this repository into a minified ESM index.mjs with its source map, that answers when invoked', async () => {
    const outdir = path.join(root, 'cdk.out');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundled', { env: { account: '123456789012', region: 'eu-west-1' } });
    new TollgateFunction(stack, 'Health', { entry: tollgateEntry(httpFunctions.health), description: 'bundling test' });
    app.synth();
    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as { Properties: { Code: { S3Key: string } } }[];
    const asset = path.join(outdir, `asset.${fn!.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    expect((await readdir(asset)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const bundle = await readFile(path.join(asset, 'index.mjs'), 'utf8');
    expect(bundle.split('\n').length).toBeLessThan(50); // minified
    expect(bundle).not.toMatch(/from ['"](@aws-sdk|@middy|zod)/); // dependencies inside, not imported at run time
    const script = `const { handler } = await import(${JSON.stringify(path.join(asset, 'index.mjs'))});
const reply = await handler({ version: '2.0', routeKey: 'GET /health', rawPath: '/health', rawQueryString: '', headers: {}, isBase64Encoded: false,
  requestContext: { http: { method: 'GET', path: '/health', sourceIp: '127.0.0.1', userAgent: 'test' }, requestId: 'r', routeKey: 'GET /health', stage: '$default', timeEpoch: 0 } }, { awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 });
console.log(JSON.stringify(reply));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    });
    expect(JSON.parse(stdout)).toMatchObject({ statusCode: 200 });
  }, 120_000);
});

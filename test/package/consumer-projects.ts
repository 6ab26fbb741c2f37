import { execFile } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The fresh projects platform teams stand for: `npm pack`, the tarball installed into projects
 * outside this repository (so nothing resolves from our own node_modules), each synthesizing an
 * app that composes TollgateStack and a MeteredFunction. Preparing them is a minute of CPU (the
 * build, three installs, esbuild), so the run starts it in the background (`global-setup.ts`)
 * and `consumer.test.ts`, scheduled last, waits for what it wrote.
 */
const run = promisify(execFile);
export const repo = path.resolve(import.meta.dirname, '../..');

export const installedVersion = async (name: string) =>
  (JSON.parse(await readFile(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

export interface Fixture {
  name: 'esm' | 'cjs' | 'ts';
  type?: 'module';
  app: string;
  handler: string;
  /** aws-cdk-lib and constructs versions; the TypeScript project uses the floor of the peer ranges, another minor than ours. */
  cdk?: { 'aws-cdk-lib': string; constructs: string };
  /**
   * Whether synth bundles every function with esbuild (Tollgate's own handlers from
   * node_modules/tollgate/dist, the team's from its src/). Bundling is the same code whatever loads
   * the package, and costs half a minute of CPU, so one project does it: the TypeScript one, on the
   * other aws-cdk-lib version. The others synthesize the same app without running esbuild.
   */
  bundle: boolean;
}

export const fixtures: Fixture[] = [
  { name: 'esm', type: 'module', app: 'app.mjs', handler: 'src/handler.mjs', bundle: false },
  { name: 'cjs', app: 'app.cjs', handler: 'src/handler.cjs', bundle: false },
  { name: 'ts', type: 'module', app: 'app.ts', handler: 'src/handler.ts', cdk: { 'aws-cdk-lib': '2.270.0', constructs: '10.5.1' }, bundle: true },
];

export interface ConsumerProject {
  dir: string;
  template: { Resources: Record<string, any> };
}

/** What the preparation leaves in its directory: the projects, or why they could not be made. */
const READY = 'ready.json';
const FAILED = 'failed.json';

/** Packs the repository into `work` and makes every fixture's project there; records the outcome for `consumerProjects`. */
export async function prepareConsumerProjects(work: string): Promise<void> {
  try {
    const projects = await makeProjects(work);
    await writeFile(path.join(work, READY), JSON.stringify(Object.fromEntries(projects)));
  } catch (error) {
    const { message, stderr } = error as { message?: string; stderr?: string };
    await writeFile(path.join(work, FAILED), JSON.stringify({ message: `${message ?? error}\n${stderr ?? ''}`.trim() }));
  }
}

async function makeProjects(work: string): Promise<[Fixture['name'], ConsumerProject][]> {
  const [packed] = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: repo, maxBuffer: 64 * 1024 * 1024 })).stdout) as {
    filename: string;
  }[];
  const tarball = path.join(work, packed!.filename);
  const ours = { 'aws-cdk-lib': await installedVersion('aws-cdk-lib'), constructs: await installedVersion('constructs') };
  const shared = { '@middy/core': await installedVersion('@middy/core'), esbuild: await installedVersion('esbuild') };
  return Promise.all(
    fixtures.map(async (fixture): Promise<[Fixture['name'], ConsumerProject]> => {
      const dir = path.join(work, fixture.name);
      await cp(path.join(import.meta.dirname, 'fixtures', fixture.name), dir, { recursive: true });
      const dependencies = { tollgate: `file:${tarball}`, ...(fixture.cdk ?? ours), '@middy/core': shared['@middy/core'] };
      const manifest = {
        name: `tollgate-consumer-${fixture.name}`,
        private: true,
        ...(fixture.type ? { type: fixture.type } : {}),
        dependencies,
        devDependencies: { esbuild: shared.esbuild },
      };
      await writeFile(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
        cwd: dir,
        maxBuffer: 64 * 1024 * 1024,
      });
      const context = fixture.bundle ? {} : { CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }) };
      await run(process.execPath, [fixture.app], { cwd: dir, env: { PATH: process.env.PATH, ...context }, maxBuffer: 64 * 1024 * 1024 });
      const template = JSON.parse(await readFile(path.join(dir, 'cdk.out', 'Tollgate.template.json'), 'utf8'));
      return [fixture.name, { dir, template }];
    }),
  );
}

/** The prepared projects, once `prepareConsumerProjects` has finished in `work` (polls; throws what it failed with). */
export async function consumerProjects(work: string, timeoutMs: number): Promise<Map<Fixture['name'], ConsumerProject>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await readFile(path.join(work, READY), 'utf8').catch(() => undefined);
    if (ready) return new Map(Object.entries(JSON.parse(ready)) as [Fixture['name'], ConsumerProject][]);
    const failed = await readFile(path.join(work, FAILED), 'utf8').catch(() => undefined);
    if (failed) throw new Error(`preparing the consumer projects failed: ${(JSON.parse(failed) as { message: string }).message}`);
    if (Date.now() > deadline) throw new Error(`the consumer projects were not ready after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

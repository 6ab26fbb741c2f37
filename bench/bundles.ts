import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_ENTRY, bundleOptions } from '../lib/bundling.ts';
import { priceBookDefine, readPriceBookFile } from '../lib/price-book-source.ts';

const root = resolve(import.meta.dirname, '..');

export interface BundleResult {
  name: string;
  entry: string;
  /** What a cold start loads: `index.mjs` and the chunks it imports statically, theirs included (source maps not counted). */
  bytes: number;
  /** Every chunk of the bundle, the ones loaded on first use included (source maps not counted). */
  totalBytes: number;
  /** Median time to import the bundle in a fresh process (what Lambda's Init phase adds to the runtime's own start). */
  coldInitMs: number;
  /** Median wall time of the whole fresh process: Node start + import + exit. */
  processMs: number;
  /** What the bytes loaded at cold start are made of. */
  composition: BundleComposition;
  /** What every chunk's bytes are made of. */
  totalComposition: BundleComposition;
  /** Every import sample, for the record. */
  samples: number[];
  /** Why the bundle could not be imported, if it could not. */
  error?: string;
}

/**
 * The stack's libraries a Lambda may load beside the DynamoDB client, by the package names they ship under. Anything
 * else from `node_modules` is the AWS SDK and what it depends on: what the SDK-only handler is made of.
 */
const STACK_LIBRARIES: Record<string, RegExp> = {
  'zod/mini': /^zod$/,
  Powertools: /^@aws-lambda-powertools\//,
  middy: /^@middy\//,
  'document client': /^@aws-sdk\/(lib|util)-dynamodb$/,
};

/** A bundle's bytes by where the code came from (esbuild's metafile: each input's bytes in each output). */
export interface BundleComposition {
  /** The AWS SDK and its dependencies. */
  sdk: number;
  /** Each of the stack's libraries (`STACK_LIBRARIES`) the bundle holds. */
  libraries: Record<string, number>;
  /** The project's own modules: Tollgate's, and the example service's catalogue. */
  own: number;
  /** esbuild's own: the banner, imports between chunks, helpers. */
  glue: number;
}

type Metafile = Awaited<ReturnType<typeof build>>['metafile'] & {};

function composition(outputs: Metafile['outputs'], files: Iterable<string>): BundleComposition {
  const parts: BundleComposition = { sdk: 0, libraries: {}, own: 0, glue: 0 };
  for (const file of files) {
    let counted = 0;
    for (const [input, { bytesInOutput }] of Object.entries(outputs[file]!.inputs)) {
      counted += bytesInOutput;
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      const library = pkg === undefined ? undefined : Object.keys(STACK_LIBRARIES).find((name) => STACK_LIBRARIES[name]!.test(pkg));
      if (pkg === undefined) parts.own += bytesInOutput;
      else if (library === undefined) parts.sdk += bytesInOutput;
      else parts.libraries[library] = (parts.libraries[library] ?? 0) + bytesInOutput;
    }
    parts.glue += outputs[file]!.bytes - counted;
  }
  return parts;
}

/**
 * Tollgate's Lambdas (every functions/<name>/handler.ts), a platform team's Lambda metered with
 * `meter()`, the baseline's, the SDK-only handler (alone, and with the example service's work), the stack floor, and the
 * metering function bundled as one file
 * (the empty one is added by measureBundles).
 */
export function lambdaEntries(): { name: string; entry: string; oneFile?: boolean }[] {
  const functions = readdirSync(join(root, 'functions'))
    .filter((dir) => statSync(join(root, 'functions', dir)).isDirectory())
    .filter((dir) => {
      try {
        return statSync(join(root, 'functions', dir, 'handler.ts')).isFile();
      } catch {
        return false;
      }
    })
    // functions/http/handler.ts is the shared middy wrapper, not a Lambda of its own.
    .filter((dir) => dir !== 'http')
    .map((dir) => ({ name: `tollgate/${dir}`, entry: join(root, 'functions', dir, 'handler.ts') }));
  return [
    ...functions,
    { name: 'platform/meter', entry: join(root, 'bench', 'metered-consumer', 'handler.ts') },
    { name: 'baseline/queries', entry: join(root, 'bench', 'baseline', 'handler.ts') },
    { name: 'sdk-only', entry: join(root, 'bench', 'sdk-only', 'handler.ts') },
    { name: 'sdk-only + example work', entry: join(root, 'bench', 'sdk-only-work', 'handler.ts') },
    { name: 'stack-floor', entry: join(root, 'bench', 'stack-floor', 'handler.ts') },
    // What NodejsFunction made of the metering function: the same options, but one file, so no chunk is left for later.
    { name: 'tollgate/metering, one file', entry: join(root, 'functions', 'metering', 'handler.ts'), oneFile: true },
  ];
}

/**
 * Bundles as `TollgateFunction` deploys it (`bundleOptions`: ESM, minified, AWS SDK inside, code splitting, this
 * repository's price book baked in), or as one file.
 */
async function bundle(
  entry: string,
  outdir: string,
  define: Record<string, string>,
  oneFile = false,
): Promise<{ file: string; bytes: number; totalBytes: number; composition: BundleComposition; totalComposition: BundleComposition }> {
  const { metafile } = await build({ ...bundleOptions({ entry, projectRoot: root, define }, outdir), splitting: !oneFile, metafile: true, logLevel: 'silent' });
  const outputs = metafile.outputs;
  const file = join(outdir, `${BUNDLE_ENTRY}.mjs`);
  const code = Object.keys(outputs).filter((output) => output.endsWith('.mjs'));
  const loaded = new Set<string>();
  const load = (output: string) => {
    if (loaded.has(output)) return;
    loaded.add(output);
    for (const { path, kind } of outputs[output]!.imports) if (kind === 'import-statement' && outputs[path]) load(path);
  };
  load(code.find((output) => resolve(root, output) === file)!);
  const bytesOf = (files: Iterable<string>) => [...files].reduce((sum, output) => sum + outputs[output]!.bytes, 0);
  return {
    file,
    bytes: bytesOf(loaded),
    totalBytes: bytesOf(code),
    composition: composition(outputs, loaded),
    totalComposition: composition(outputs, code),
  };
}

/** Init time of a fresh Node process importing the module: the median of `runs` processes. */
function coldInit(file: string, runs: number, env: NodeJS.ProcessEnv): { imports: number[]; processes: number[] } {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const imports: number[] = [];
  const processes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    try {
      imports.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })));
    } catch (error) {
      // A handler that throws at import (e.g. missing configuration) has no cold start to report.
      const message =
        String((error as { stderr?: string }).stderr ?? error)
          .split('\n')
          .findLast((line) => /Error/.test(line)) ?? 'import failed';
      throw new Error(message.slice(0, 300));
    }
    processes.push(performance.now() - started);
  }
  return { imports, processes };
}

/** A copy in random order (Fisher–Yates). */
function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/**
 * Bundles every Lambda, then times `runs` rounds of fresh processes, each round importing every
 * bundle once, in a new random order: on a loaded machine a slow minute then slows every bundle
 * alike, and no bundle always follows the same neighbour (a heavy import before it leaves the OS
 * busy), so the ratios between them (what issue 12's targets are) hold even when the absolute
 * times drift.
 */
export async function measureBundles(runs: number, env: NodeJS.ProcessEnv): Promise<{ empty: BundleResult; lambdas: BundleResult[] }> {
  const dir = join(tmpdir(), `tollgate-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const emptyEntry = join(dir, 'empty-handler.mjs');
  writeFileSync(emptyEntry, 'export const handler = async () => ({ statusCode: 200, body: "" });\n');
  const measured = [];
  const define = priceBookDefine(readPriceBookFile(join(root, 'tollgate.prices.json')), 'tollgate.prices.json');
  for (const { name, entry, oneFile } of [{ name: 'empty', entry: emptyEntry }, ...lambdaEntries()]) {
    const built = await bundle(entry, join(dir, name.replace(/\W/g, '-')), define, oneFile);
    const { file: outfile, bytes, totalBytes } = built;
    const sample = {
      name,
      entry,
      outfile,
      bytes,
      totalBytes,
      composition: built.composition,
      totalComposition: built.totalComposition,
      imports: [] as number[],
      processes: [] as number[],
      error: undefined as string | undefined,
    };
    try {
      coldInit(outfile, 1, env); // warm the OS file cache; not counted
    } catch (failure) {
      sample.error = (failure as Error).message;
    }
    measured.push(sample);
  }
  for (let round = 0; round < runs; round++) {
    for (const sample of shuffled(measured.filter((m) => !m.error))) {
      const { imports, processes } = coldInit(sample.outfile, 1, env);
      sample.imports.push(...imports);
      sample.processes.push(...processes);
    }
  }
  const [empty, ...lambdas] = measured.map(
    ({ name, entry, bytes, totalBytes, composition, totalComposition, imports, processes, error }): BundleResult => ({
      name,
      entry: entry.startsWith(root) ? entry.slice(root.length + 1) : 'empty',
      bytes,
      totalBytes,
      composition,
      totalComposition,
      coldInitMs: error ? Number.NaN : median(imports),
      processMs: error ? Number.NaN : median(processes),
      samples: imports,
      error,
    }),
  );
  return { empty: empty!, lambdas };
}

import { createRequire } from 'node:module';
import path from 'node:path';
import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { BuildOptions } from 'esbuild';

/** What one function's code is bundled from. */
export interface BundleSource {
  /** Absolute path of the entry file. */
  readonly entry: string;
  /** The project esbuild runs in: its `node_modules` resolve the entry's imports and hold esbuild itself. */
  readonly projectRoot: string;
  /** esbuild `define`s, e.g. the baked price book (`priceBookDefine`). */
  readonly define?: Record<string, string>;
}

/** The bundle's entry module, `index.mjs`: Lambda's handler setting is `index.<export>`. */
export const BUNDLE_ENTRY = 'index';

/**
 * How every Tollgate function is bundled; the bench bundles with the same options, so it measures what deploys.
 * - ESM for Node.js 24, minified, with source maps (without the sources), the AWS SDK inside: the version we tested.
 * - Dependencies' ESM builds first (`module` before `main`): the AWS SDK's is about half the size of its CommonJS one.
 * - Code splitting: what the code reaches only through `import()` (the 402's copy catalogue, the Secrets Manager
 *   client, the SDK's credential providers) goes into chunks of its own, loaded on first use. One file, which is all
 *   `NodejsFunction` can write, makes every cold start compile all of it.
 */
export function bundleOptions(source: BundleSource, outdir: string): BuildOptions {
  return {
    entryPoints: { [BUNDLE_ENTRY]: source.entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    absWorkingDir: source.projectRoot,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // Some bundled CommonJS dependencies call require(); every ESM chunk gets one of its own.
    banner: { js: "import { createRequire as __tollgateCreateRequire } from 'node:module'; const require = __tollgateCreateRequire(import.meta.url);" },
    define: source.define,
    logLevel: 'warning',
  };
}

/** The esbuild installed in the project being bundled (a CDK app's devDependency), or an error that says how to get it. */
function projectEsbuild(projectRoot: string): typeof import('esbuild') {
  try {
    return createRequire(path.join(projectRoot, 'package.json'))('esbuild') as typeof import('esbuild');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(`TollgateFunction bundles with the esbuild of ${projectRoot}, and there is none: run \`npm install --save-dev esbuild\` there.`, {
      cause: error,
    });
  }
}

/**
 * Runs esbuild for one function. A class, not a closure: CDK caches staged assets by the JSON of their bundling
 * options, so the source must be in it, or every function of a project would get the first one's bundle.
 */
class EsbuildBundling implements ILocalBundling {
  readonly source: BundleSource;

  constructor(source: BundleSource) {
    this.source = source;
  }

  tryBundle(outputDir: string): boolean {
    projectEsbuild(this.source.projectRoot).buildSync(bundleOptions(this.source, outputDir));
    return true;
  }
}

/**
 * The function's code as a CDK asset: bundled with {@link bundleOptions} by the project's own esbuild when the
 * stack is synthesized (never in Docker), and fingerprinted by the bundle, so an unchanged bundle deploys nothing.
 */
export function bundledCode(source: BundleSource): Code {
  return Code.fromAsset(source.projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type, never pulled: local bundling either succeeds or throws.
      image: DockerImage.fromRegistry('tollgate-bundles-locally'),
      local: new EsbuildBundling(source),
    },
  });
}

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Issue 12: the metered path validates with `zod/mini` (functions/shared/schema.ts), which has no
 * English messages of its own. Inside vitest full `zod` is loaded too (the OpenAPI modules), and it
 * registers them, so these checks run where a Lambda runs: in a fresh process, and in the bundle.
 */
describe('validation on the metered path', () => {
  // metering/routes.ts loads no full zod: the bundle of its handler below has none.
  it('answers in zod’s English words in a process that never loads full zod', () => {
    const script = `
      import { fields, validate } from './functions/http/request.ts';
      import { ledgerQuery } from './functions/metering/routes.ts';
      const problems = [];
      for (const [schema, data] of [[ledgerQuery(), { limit: '0' }], [fields.operation, 5]]) {
        try { validate(schema, data, 'query'); } catch (error) { problems.push(error.message); }
      }
      process.stdout.write(JSON.stringify(problems));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TABLE_NAME: 'test' },
    });
    expect(JSON.parse(output)).toEqual(['query.limit: Too small: expected number to be >=1', 'query: Invalid input: expected string, received number']);
  });

  it.each(['functions/metering/handler.ts', 'functions/holds/handler.ts', 'functions/queries/handler.ts', 'bench/metered-consumer/handler.ts'])(
    '%s bundles zod/mini and English only, never full zod',
    async (entry) => {
      const { metafile } = await build({
        entryPoints: [`${root}${entry}`],
        bundle: true,
        platform: 'node',
        format: 'esm',
        write: false,
        metafile: true,
        outfile: 'out.mjs',
        logLevel: 'silent',
      });
      // Files whose code is in the bundle (a re-exporting index that contributes nothing is left out).
      const zodFiles = Object.entries(metafile.outputs['out.mjs']?.inputs ?? {})
        .filter(([path, { bytesInOutput }]) => path.includes('node_modules/zod/') && bytesInOutput > 0)
        .map(([path]) => path);
      expect(zodFiles.some((path) => path.includes('/zod/v4/mini/'))).toBe(true);
      expect(zodFiles.filter((path) => path.includes('/zod/v4/classic/'))).toEqual([]);
      // English, and no other of zod's ~50 locales (their index is only a few bytes of glue).
      expect(zodFiles).toContain('node_modules/zod/v4/locales/en.js');
      expect(zodFiles.filter((path) => /\/zod\/v4\/locales\/(?!en\.js$|index\.js$)/.test(path))).toEqual([]);
    },
  );
});

describe('schemas built on first use', () => {
  it('builds a schema when first asked for, then keeps that one', async () => {
    const z = await import('../../functions/shared/schema.ts');
    let builds = 0;
    const body = z.builtOnFirstUse(() => {
      builds += 1;
      return z.strictObject({ credits: z.number() });
    });
    expect(builds).toBe(0);
    expect(body()).toBe(body());
    expect(builds).toBe(1);
    expect(z.safeParse(body(), { credits: 'one' }).success).toBe(false);
  });

  it('shares one instance of each field schema', async () => {
    const { fields } = await import('../../functions/http/request.ts');
    expect(fields.credits).toBe(fields.credits);
    expect(fields.operation).toBe(fields.operation);
    expect(fields.credits.safeParse(0).success).toBe(false);
  });
});

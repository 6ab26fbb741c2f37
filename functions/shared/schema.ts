import { config, globalConfig } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

/**
 * `zod/mini` with zod's English messages: the validation library of every module a Lambda loads
 * (full `zod` is about 450 KB of bundle and 30 ms of cold start; this is about 25 KB). Full `zod`
 * registers the English messages when its first schema is built; `zod/mini` has no locale and
 * says only "Invalid input" until one is configured, which would change the words of every 400
 * that relies on a default message. Import it as `import * as z from '…/shared/schema.ts'`, not
 * from `zod/mini`, so they are set (a namespace import, so the bundler keeps only what is used).
 * Like full `zod`, it sets them only when no locale is configured (a platform team's Lambda that
 * loads `meter()` may have chosen its own).
 */
if (!globalConfig.localeError) config(en());

export * from 'zod/mini';

/**
 * A schema built on its first use, then kept. Building zod schemas is most of what a function's own code costs at
 * cold start (about 0.1–0.2 ms each, `npm run bench`), and a function serving several routes is seldom asked all of
 * them: each route builds its own when it is first called.
 */
export function builtOnFirstUse<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

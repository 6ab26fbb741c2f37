import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A secret the local stack needs to stay the same across restarts (the link signing key, so that
 * emailed links keep working; the sandbox's webhook secret). Given in the environment it wins;
 * otherwise it is generated once and kept in the data directory (`TOLLGATE_DATA_DIR`), beside
 * the table it belongs to. Without a data directory everything is in memory, so a fresh secret
 * per start is right: nothing that was signed with the old one survives either.
 */
export function persistedSecret(options: { name: string; given?: string; dataDir?: string; prefix?: string }): string {
  if (options.given) return options.given;
  const generate = () => `${options.prefix ?? ''}${randomBytes(32).toString('base64url')}`;
  if (!options.dataDir) return generate();
  const file = join(options.dataDir, `${options.name}.secret`);
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return kept;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(options.dataDir, { recursive: true });
  const secret = generate();
  // `wx`: if another start wrote it first, keep theirs.
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8').trim();
  }
}

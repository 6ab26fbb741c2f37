import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFunctions } from '../../functions/routes.ts';
import { findLockFile, tollgateEntry } from '../../lib/tollgate-function.ts';

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

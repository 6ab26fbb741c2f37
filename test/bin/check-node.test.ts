import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const guard = path.join(root, 'bin/check-node.mjs');
const floor = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { devEngines: { runtime: { version: string } } }).devEngines.runtime
  .version;

/** Runs the guard on this Node, made to report `version` (a preload overrides process.versions.node). */
function guardAs(version: string, ...args: string[]) {
  const preload = `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${version}"})`;
  return spawnSync(process.execPath, ['--import', preload, guard, ...args], { cwd: root, encoding: 'utf8' });
}

/** The Node 20 these machines ship, where present: the guard must explain itself there too. */
const OLD_NODE = '/usr/bin/node';
const oldNodeVersion = existsSync(OLD_NODE) ? spawnSync(OLD_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim() : '';

describe('bin/check-node.mjs', () => {
  it('reads its floor from package.json devEngines, which is at least what DynamoDB Local needs', () => {
    expect(floor).toBe('>=22.22.2');
  });

  it.each(['20.20.2', '22.12.0', '22.18.0', '22.22.1'])('refuses Node %s with one line that says what to install', (version) => {
    const run = guardAs(version);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`Tollgate needs Node ≥ 22.22.2 (you have ${version}); install Node 24 LTS (e.g. \`nvm install 24\`) and run this again.\n`);
  });

  it.each(['22.22.2', '23.0.0', '24.21.0', '100.0.0'])('lets Node %s through silently', (version) => {
    const run = guardAs(version);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('runs the script it is given once the version is fine, and not at all when it is not', () => {
    const script = path.join(root, 'test/bin/fixtures/hello.ts');
    expect(guardAs('24.0.0', script).stdout).toBe('hello from a .ts script\n');
    expect(guardAs('20.0.0', script).stdout).toBe('');
  });

  it.runIf(oldNodeVersion.startsWith('20.'))('explains itself on a real Node 20, where the scripts it guards would crash', () => {
    const run = spawnSync(OLD_NODE, [guard, 'bin/tollgate.ts'], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^Tollgate needs Node ≥ 22\\.22\\.2 \\(you have ${oldNodeVersion}\\); install Node 24 LTS`)),
    ]);
  });

  it('guards npm start, npm test, the benchmark and the CDK app', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const name of ['start', 'test']) expect(scripts[name]).toMatch(/^node bin\/check-node\.mjs && /);
    expect(scripts.bench).toBe('node bin/check-node.mjs bench/run.ts');
    expect(JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')).app).toBe('node bin/check-node.mjs bin/tollgate.ts');
  });
});

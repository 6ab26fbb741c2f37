import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { persistedSecret } from '../../local/persisted-secret.ts';
import { freePort } from '../../local/ports.ts';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-process.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-secret-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('persistedSecret', () => {
  it('is generated once per data directory and read back on the next start, readable only by its owner', () => {
    const dir = tempDir();
    const first = persistedSecret({ name: 'link-signing', dataDir: dir });
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(persistedSecret({ name: 'link-signing', dataDir: dir })).toBe(first);
    expect(persistedSecret({ name: 'stripe-webhook', dataDir: dir, prefix: 'whsec_' })).toMatch(/^whsec_/);
    expect(persistedSecret({ name: 'link-signing', dataDir: tempDir() })).not.toBe(first);
    expect(statSync(join(dir, 'link-signing.secret')).mode & 0o777).toBe(0o600);
  });

  it('uses the value given in the environment instead, and is fresh per start without a data directory', () => {
    expect(persistedSecret({ name: 'link-signing', given: 'from-the-environment', dataDir: tempDir() })).toBe('from-the-environment');
    expect(persistedSecret({ name: 'link-signing' })).not.toBe(persistedSecret({ name: 'link-signing' }));
  });
});

let running: LocalStackProcess | undefined;
afterEach(() => {
  running?.child.kill('SIGKILL');
});

async function started(env: Record<string, string>): Promise<LocalStackProcess> {
  const app = startLocalStackProcess(env);
  running = app;
  const deadline = Date.now() + 90_000;
  while (!app.output().includes('Ctrl-C stops everything')) {
    if (app.child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not start:\n${app.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return app;
}

describe('npm start with TOLLGATE_DATA_DIR', () => {
  it('keeps the link signing key with the data: a link from before a restart still opens', { timeout: 240_000 }, async () => {
    const adminKey = `tgadmin_${randomBytes(24).toString('base64url')}`;
    const env = {
      PORT: String(await freePort()),
      DYNAMODB_LOCAL_PORT: String(await freePort()),
      SES_LOCAL_PORT: String(await freePort()),
      TOLLGATE_ADMIN_KEY: adminKey,
      TOLLGATE_DATA_DIR: tempDir(),
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const base = `http://127.0.0.1:${env.PORT}`;
    const first = await started(env);
    const apiKey = /Demo API key\s+(tg_\S+)/.exec(first.output())?.[1] ?? '';
    const accountId = /Demo account\s+(acc_\S+)/.exec(first.output())?.[1] ?? '';
    // Spend the demo credits, so that an export is refused with a 402 that links to the usage page.
    const spend = await fetch(`${base}/v1/accounts/${accountId}/debits`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'spend-all' },
      body: JSON.stringify({ credits: 300, operation: 'export' }),
    });
    expect(spend.status).toBe(201);
    const refused = await fetch(`${base}/v1/queries`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ operation: 'export' }),
    });
    expect(refused.status).toBe(402);
    const usageLink = ((await refused.json()) as { actions: { id: string; pageHref?: string }[] }).actions.find((a) => a.id === 'view_usage')?.pageHref ?? '';
    expect((await fetch(usageLink)).status).toBe(200);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    await started(env);
    const again = await fetch(usageLink);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Demo Co');
  });
});

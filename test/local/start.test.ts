import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports.ts';
import { startLocalStackProcess } from '../support/local-process.ts';

const start = startLocalStackProcess;

async function waitFor(check: () => boolean, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let running: ChildProcess | undefined;
let blocker: Server | undefined;
afterEach(() => {
  running?.kill('SIGKILL');
  blocker?.close();
});

describe('npm start', () => {
  it('starts the stack with a demo account, serves it, and stops cleanly on Ctrl-C', { timeout: 120_000 }, async () => {
    const ports = { PORT: String(await freePort()), DYNAMODB_LOCAL_PORT: String(await freePort()), SES_LOCAL_PORT: String(await freePort()) };
    const app = start({ ...ports, TOLLGATE_ADMIN_KEY: '' });
    running = app.child;
    await waitFor(() => app.output().includes('Ctrl-C stops everything') || app.child.exitCode !== null);
    expect(app.child.exitCode, app.output()).toBeNull();
    const output = app.output();
    const apiKey = /Demo API key\s+(tg_\S+)/.exec(output)?.[1];
    const adminKey = /Admin key\s+(\S+)/.exec(output)?.[1];
    expect(apiKey).toBeDefined();
    expect(adminKey).toMatch(/^tgadmin_/);
    expect(output).toContain(`SES inbox      http://127.0.0.1:${ports.SES_LOCAL_PORT}/`);
    const base = `http://127.0.0.1:${ports.PORT}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    const balance = (await (await fetch(`${base}/v1/balance`, { headers: { Authorization: `Bearer ${apiKey}` } })).json()) as { available: number };
    expect(balance.available).toBe(300);
    app.child.kill('SIGINT');
    expect(await app.exited).toBe(0);
    // Every port is free again: DynamoDB Local (Java) was stopped too.
    for (const port of Object.values(ports)) {
      await new Promise<void>((resolve, reject) => {
        const probe = createServer().once('error', reject);
        probe.listen(Number(port), '127.0.0.1', () => probe.close(() => resolve()));
      });
    }
  });

  it('refuses a bad price book before starting anything, naming the file and the field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-start-'));
    const file = path.join(dir, 'prices.json');
    const demo = JSON.parse(readFileSync('tollgate.prices.json', 'utf8'));
    writeFileSync(file, JSON.stringify({ ...demo, topUps: [{ ...demo.topUps[0], credits: -5 }] }));
    const app = start({ TOLLGATE_PRICE_BOOK_FILE: file, PORT: String(await freePort()) });
    running = app.child;
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain(`Tollgate could not start: Invalid price book (${file}):\n  - priceBook.topUps[0].credits: must be a positive integer`);
    expect(app.output()).not.toContain('Starting Tollgate locally');
  });

  it('says which port is taken and which variable changes it', async () => {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(port, '127.0.0.1', () => resolve()));
    const app = start({ DYNAMODB_LOCAL_PORT: String(port), PORT: String(await freePort()), SES_LOCAL_PORT: String(await freePort()) });
    running = app.child;
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain(`Port ${port} (DynamoDB Local) is already in use`);
    expect(app.output()).toContain('DYNAMODB_LOCAL_PORT=<port>');
  });
});

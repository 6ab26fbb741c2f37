import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports.ts';
import { startLocalStackProcess } from '../support/local-process.ts';

let running: ChildProcess | undefined;
let receiver: Server | undefined;
afterAll(() => {
  running?.kill('SIGKILL');
  receiver?.close();
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start', () => {
  it('delivers a signed balance.depleted to an endpoint on this machine after the demo account’s first 402', { timeout: 150_000 }, async () => {
    const received: { body: string; headers: Record<string, string> }[] = [];
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])),
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tollgate`;

    const ports = { PORT: String(await freePort()), DYNAMODB_LOCAL_PORT: String(await freePort()), SES_LOCAL_PORT: String(await freePort()) };
    const app = startLocalStackProcess({ ...ports, TOLLGATE_ADMIN_KEY: '' });
    running = app.child;
    await waitFor(() => app.output().includes('Ctrl-C stops everything') || app.child.exitCode !== null, 'the stack');
    const apiKey = /Demo API key\s+(tg_\S+)/.exec(app.output())?.[1];
    const adminKey = /Admin key\s+(\S+)/.exec(app.output())?.[1];
    const base = `http://127.0.0.1:${ports.PORT}`;
    const post = (path: string, token: string | undefined, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });

    const registered = await post('/v1/webhook-endpoints', adminKey, { url: hookUrl, events: ['balance.depleted'] });
    expect(registered.status).toBe(201);
    const { secret } = (await registered.json()) as { secret: string };
    let status = 200;
    for (let i = 0; i < 20 && status === 200; i++) status = (await post('/v1/queries', apiKey, { operation: 'export', input: {} })).status;
    expect(status).toBe(402);

    await waitFor(() => received.length > 0, 'the webhook');
    const [delivery] = received;
    const event = new Webhook(secret).verify(delivery?.body ?? '', delivery?.headers ?? {}) as { type: string; data: { shortfall: number } };
    expect(event.type).toBe('balance.depleted');
    expect(event.data.shortfall).toBeGreaterThan(0);
    app.child.kill('SIGINT');
    expect(await app.exited).toBe(0);
  });
});

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_BASE } from '../../functions/shared/errors.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

/** The local gateway's own answers: whatever a client gets from `npm start` is problem+json. */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    // A stand-in for the one fault no emulator produces: a handler that throws past its own error mapping.
    lambdas: (real) => ({ reminders: async () => Promise.reject(new Error('handler crashed')), health: real.health }),
  });
});
afterAll(() => app.stop());

/** Sends bytes as they are and reads the whole answer (for requests fetch refuses to make). */
function rawRequest(text: string): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const answer = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head.toLowerCase(), body });
    });
  });
}

function expectProblem(contentType: string | null, body: string, status: number, slug: string) {
  expect(contentType).toBe('application/problem+json');
  expect(JSON.parse(body)).toMatchObject({ type: `${PROBLEM_BASE}${slug}`, status, title: expect.any(String), detail: expect.any(String) });
}

describe('the local gateway', () => {
  it('answers a body over 10 MB with a problem+json 413', async () => {
    const reply = await fetch(`${app.url}/v1/queries`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.alloc(11 * 1024 * 1024, 0x20),
    });
    expect(reply.status).toBe(413);
    expectProblem(reply.headers.get('content-type'), await reply.text(), 413, 'payload-too-large');
  });

  it('answers a handler that crashed with a problem+json 500 that reveals nothing', async () => {
    const reply = await fetch(`${app.url}/v1/reminders`, { method: 'POST', headers: { Authorization: 'Bearer x' } });
    expect(reply.status).toBe(500);
    const text = await reply.text();
    expectProblem(reply.headers.get('content-type'), text, 500, 'internal-error');
    expect(text).not.toContain('handler crashed');
  });

  it('answers a request that is not HTTP with a problem+json 400', async () => {
    const reply = await rawRequest('GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
    expect(reply.status).toBe(400);
    expect(reply.headers).toContain('content-type: application/problem+json');
    expect(JSON.parse(reply.body)).toMatchObject({ status: 400, type: `${PROBLEM_BASE}validation-error` });
  });

  it('answers headers over the limit with a problem+json 431', async () => {
    const reply = await rawRequest(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(reply.status).toBe(431);
    expect(reply.headers).toContain('content-type: application/problem+json');
    expect(JSON.parse(reply.body)).toMatchObject({ status: 431 });
  });
});

describe('HTTP methods', () => {
  it('HEAD /health answers like GET, without a body', async () => {
    const get = await fetch(`${app.url}/health`);
    const head = await fetch(`${app.url}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(await head.text()).toBe('');
  });

  it('HEAD on an authenticated GET route runs the GET route, checks included', async () => {
    const customer = await newCustomer(app.url, 5);
    const head = await fetch(`${app.url}/v1/balance`, { method: 'HEAD', headers: { Authorization: `Bearer ${customer.apiKey}` } });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${app.url}/v1/balance`, { method: 'HEAD' })).status).toBe(401);
  });

  it.each([
    ['POST', '/health', 'GET, HEAD'],
    ['DELETE', '/v1/queries', 'POST'],
    ['GET', '/v1/accounts/acc_AAAAAAAAAAAAAAAA/top-ups', 'POST'],
    ['PUT', '/v1/accounts/acc_AAAAAAAAAAAAAAAA', 'GET, HEAD, PATCH'],
    ['DELETE', '/resume', 'GET, HEAD, POST'],
  ])('%s %s is a 405 with Allow: %s', async (method, path, allow) => {
    const reply = await call(app.url, method, path, { token: ADMIN_KEY });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe(allow);
    expect(reply.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.body).toMatchObject({ type: `${PROBLEM_BASE}method-not-allowed`, status: 405 });
    expect(reply.body.detail).toContain(allow);
  });

  it('a path that no route has is still a 404', async () => {
    const reply = await call(app.url, 'GET', '/v1/nothing-here');
    expect(reply.status).toBe(404);
    expect(reply.headers.get('allow')).toBeNull();
  });
});

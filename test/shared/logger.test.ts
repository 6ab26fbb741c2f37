import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HttpEvent } from '../../functions/http/types.ts';

/**
 * The logger loads Powertools on the first line logged (cold start), so a line is written a moment after the
 * call. Each test gets a fresh logger module, not yet loaded, and checks that the handler does not answer before
 * its lines are written: Lambda may freeze the container as soon as it has.
 */
let written = '';
const write = process.stdout.write.bind(process.stdout);
const writeErr = process.stderr.write.bind(process.stderr);
beforeEach(() => {
  vi.resetModules();
  written = '';
  const capture = ((chunk: unknown) => {
    written += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
});
afterEach(() => {
  process.stdout.write = write;
  process.stderr.write = writeErr;
});

const event = { routeKey: 'GET /v1/boom', headers: {}, requestContext: { requestId: 'r1' } } as unknown as HttpEvent;

async function freshLogger() {
  const module = await import('../../functions/shared/logger.ts');
  module.logger.setLogLevel('INFO');
  return module;
}

describe('logging on first use', () => {
  it('an HTTP handler answers a failure only after its error line is written', async () => {
    await freshLogger();
    const { httpHandler } = await import('../../functions/http/handler.ts');
    const handler = httpHandler({ 'GET /v1/boom': () => Promise.reject(new Error('the work broke')) });
    const answer = await handler(event, {} as never);
    expect(answer.statusCode).toBe(500);
    expect(written).toContain('"message":"unhandled error"');
    expect(written).toContain('the work broke');
  });

  it('a handler without middy returns only after its lines are written, also when it throws', async () => {
    const { logger, withLogsWritten } = await freshLogger();
    const job = withLogsWritten(async () => {
      logger.info('job finished', { done: 3 });
      throw new Error('one failed');
    });
    await expect(job()).rejects.toThrow('one failed');
    expect(written).toContain('"message":"job finished"');
    expect(written).toContain('"done":3');
  });

  it("meter() in a platform team's Lambda answers a refusal only after its error line is written", async () => {
    await freshLogger();
    const { meter } = await import('../../functions/metering/meter.ts');
    const { default: middy } = await import('@middy/core');
    const handler = middy<HttpEvent, { statusCode: number; body?: string }>()
      .use(
        meter({
          account: () => ({ accountId: 'acc_0123456789abcdef' }),
          price: () => {
            throw new Error('the price backend is down');
          },
        }),
      )
      .handler(async () => ({ statusCode: 200, body: '{}' }));
    const answer = await handler(event, {} as never);
    expect(answer.statusCode).toBe(500);
    expect(written).toContain('"message":"metered request refused"');
  });

  it('a queue-fed handler (webhook deliveries) returns only after its lines are written', async () => {
    const saved = process.env.WEBHOOK_QUEUE_URL;
    process.env.WEBHOOK_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/deliveries';
    try {
      await freshLogger();
      const { deliver } = await import('../../functions/webhooks/handler.ts');
      const answer = await deliver({ Records: [{ messageId: 'm1', body: 'not json' }] } as never);
      expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
      expect(written).toContain('"message":"webhook delivery message failed; it will come back"');
    } finally {
      if (saved === undefined) delete process.env.WEBHOOK_QUEUE_URL;
      else process.env.WEBHOOK_QUEUE_URL = saved;
    }
  });

  it('a line the logger cannot write goes to stderr and fails nothing', async () => {
    const { logger, logsWritten } = await freshLogger();
    const unserialisable = {
      get detail(): string {
        throw new Error('cannot be read');
      },
    };
    logger.warn('odd attributes', { unserialisable });
    await expect(logsWritten()).resolves.toBeUndefined();
    expect(written).toContain('odd attributes');
  });
});

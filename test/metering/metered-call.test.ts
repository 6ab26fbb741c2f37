import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { stored, storedBody } from '../../functions/metering/metered-call.ts';

describe('stored answers', () => {
  const answer = (bytes: number) => {
    const items = Array.from({ length: Math.ceil(bytes / 20) }, (_, i) => ({ sku: `P-${(i * 7919) % 100_000}`, qty: i % 13 }));
    return JSON.stringify({ items }).slice(0, bytes);
  };

  it('keeps a short body as it is, and gzips a longer one into no more bytes than zlib’s defaults would', () => {
    expect(stored({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' })).toEqual({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: '{"ok":true}',
    });
    for (const bytes of [257, 600, 1_500, 40_000, 300_000]) {
      const body = answer(bytes);
      expect(body).toHaveLength(bytes);
      const kept = stored({ statusCode: 200, headers: {}, body });
      expect(kept.body).toBeUndefined();
      expect(kept.bodyGzip!.length).toBeLessThanOrEqual(gzipSync(body).length);
      expect(storedBody(kept)).toBe(body);
    }
  });

  it('gives back a body stored with zlib’s defaults, as earlier versions stored it', () => {
    const body = answer(2_000);
    expect(storedBody({ statusCode: 200, headers: {}, bodyGzip: gzipSync(body) })).toBe(body);
  });
});

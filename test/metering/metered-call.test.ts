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

  it('finds every match zlib’s defaults find, however far back in the body: no stored answer grows', () => {
    /** Base64-like text from a seeded generator (mulberry32): nothing in it repeats but what the body repeats. */
    const noise = (bytes: number, seed: number) => {
      let state = seed;
      const next = () => {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) % 64;
      };
      return Array.from({ length: bytes }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[next()]).join('');
    };
    const bodies = [
      // A repeat 300 bytes back in a 500-byte body: a window of 2^ceil(log2(500)) bytes, less the lookahead, misses it.
      `${noise(200, 1)}${noise(100, 2)}${noise(200, 1)}`,
      noise(700, 3),
      `${noise(1_000, 4)}${noise(1_000, 4)}`,
      answer(900),
    ];
    for (const body of bodies) {
      const kept = stored({ statusCode: 200, headers: {}, body });
      expect(kept.bodyGzip!.length).toBeLessThanOrEqual(gzipSync(body).length);
      expect(storedBody(kept)).toBe(body);
    }
  });

  it('gives back a body stored with zlib’s defaults, as earlier versions stored it', () => {
    const body = answer(2_000);
    expect(storedBody({ statusCode: 200, headers: {}, bodyGzip: gzipSync(body) })).toBe(body);
  });
});

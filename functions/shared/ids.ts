import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random, URL-safe id with a readable prefix, e.g. `acc_…`. 96 bits unless told. */
export function randomId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/** An id derived from stable parts (e.g. account + Idempotency-Key), so a retry finds the same record. */
export function derivedId(prefix: string, ...parts: string[]): string {
  return `${prefix}_${sha256(parts.join('\n')).slice(0, 32)}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Constant-time string comparison for secrets. */
export function secretsEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

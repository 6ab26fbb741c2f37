import { randomBytes } from 'node:crypto';
import { sha256 } from '../shared/ids.ts';

export const API_KEY_PREFIX = 'tg_';
/** `tg_` + 256 random bits, base64url. */
export const API_KEY_FORMAT = /^tg_[A-Za-z0-9_-]{43}$/;

export function newApiKey(): { key: string; hash: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key) };
}

/** Keys are stored only as this hash. A fast hash suffices: the key has 256 bits of entropy. */
export function hashApiKey(key: string): string {
  return sha256(`tollgate-api-key\n${key}`);
}

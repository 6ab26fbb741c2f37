import { randomBytes } from 'node:crypto';
import { sha256 } from '../shared/ids.ts';

export const API_KEY_PREFIX = 'tg_';
/** `tg_` + 256 random bits, base64url. */
export const API_KEY_FORMAT = /^tg_[A-Za-z0-9_-]{43}$/;

/**
 * Admin keys have one of two shapes: what the stack generates in Secrets Manager (64 letters and
 * digits) or, locally, the `tgadmin_` prefix `npm start` gives them. Client routes use this to
 * answer "that is the admin key" without reading the secret.
 */
export const ADMIN_KEY_SHAPES = [/^tgadmin_/, /^[A-Za-z0-9]{64}$/] as const;

export const looksLikeAdminKey = (token: string): boolean => ADMIN_KEY_SHAPES.some((shape) => shape.test(token));

export function newApiKey(): { key: string; hash: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key) };
}

/** Keys are stored only as this hash. A fast hash suffices: the key has 256 bits of entropy. */
export function hashApiKey(key: string): string {
  return sha256(`tollgate-api-key\n${key}`);
}

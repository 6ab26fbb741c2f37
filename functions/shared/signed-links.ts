import { createHmac, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, GoneError } from './errors.ts';

/** What a signed link lets its holder do, for one account, until it expires. */
export type LinkPurpose = 'usage' | 'unsubscribe' | 'remind' | 'resume' | 'checkout';

export interface LinkClaims {
  purpose: LinkPurpose;
  accountId: string;
  /** Expiry, epoch seconds. */
  exp: number;
  queryId?: string;
  /** Checkout: the top-up pack or the plan being bought (exactly one). */
  pack?: string;
  plan?: string;
}

/**
 * Links in emails and 402 answers carry `payload.signature` (HMAC-SHA256), never a key: the
 * payload names the account and purpose, the signature proves Tollgate issued it, and it expires.
 */
export function signLink(claims: LinkClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${signature(payload, secret)}`;
}

export function verifyLink(token: string, purpose: LinkPurpose, now: Date, secret: string): LinkClaims {
  const [payload, given, extra] = token.split('.');
  if (!payload || !given || extra !== undefined || !safeEqual(given, signature(payload, secret))) {
    throw new ForbiddenError('This link is not valid. Use the link from your latest email, or sign in to your dashboard.');
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LinkClaims;
  if (claims.purpose !== purpose) throw new ForbiddenError('This link is not valid for this page.');
  if (claims.exp * 1000 <= now.getTime())
    throw new GoneError('This link has expired. Links in our emails work for a limited time; the newest email has a fresh one.');
  return claims;
}

function signature(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

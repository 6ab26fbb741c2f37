import { createHmac, timingSafeEqual } from 'node:crypto';
import { ACCOUNT_ID } from '../accounts/model.ts';
import { QUERY_ID } from '../metering/txn.ts';
import { ExpiredLinkError, InvalidLinkError } from './errors.ts';
import * as z from './schema.ts';

/** Pack and plan ids of the price book. */
const PRICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The claims each kind of link carries, checked after the signature: a signed payload is
 * still only trusted in this exact shape (a required integer `exp`, no unknown fields).
 * A new purpose is one more entry here, with its own fields. Built on the first link checked:
 * metered functions sign links (in a 402) but rarely check one, so their cold start skips this.
 */
function buildClaimSchemas() {
  const expiry = () => z.number().check(z.int(), z.positive());
  const common = { accountId: z.string().check(z.regex(ACCOUNT_ID)), exp: expiry() };
  return {
    /** With the parked query the customer was looking at, so the page's Buy links can run it once paid. */
    usage: z.strictObject({ purpose: z.literal('usage'), ...common, queryId: z.optional(z.string().check(z.regex(QUERY_ID))) }),
    unsubscribe: z.strictObject({ purpose: z.literal('unsubscribe'), ...common }),
    /** The recovery report page, for operators: no account, a short life (an admin endpoint hands out fresh ones). */
    report: z.strictObject({ purpose: z.literal('report'), exp: expiry() }),
    /** The operator console's session cookie (admin key exchanged at sign-in): no account, an hour at most. */
    console: z.strictObject({ purpose: z.literal('console'), exp: expiry() }),
    /** Turns the usage digest off (and nothing else): the digest's List-Unsubscribe. */
    digestOff: z.strictObject({ purpose: z.literal('digestOff'), ...common }),
    remind: z.strictObject({ purpose: z.literal('remind'), ...common }),
    resume: z.strictObject({ purpose: z.literal('resume'), ...common, queryId: z.string().check(z.regex(QUERY_ID)) }),
    /** Buy a top-up pack or a plan (exactly one), for the parked query the customer was looking at, if any. */
    checkout: z
      .strictObject({
        purpose: z.literal('checkout'),
        ...common,
        pack: z.optional(z.string().check(z.regex(PRICE_ID))),
        plan: z.optional(z.string().check(z.regex(PRICE_ID))),
        queryId: z.optional(z.string().check(z.regex(QUERY_ID))),
      })
      .check(z.refine((claims) => (claims.pack === undefined) !== (claims.plan === undefined), 'names exactly one of pack and plan')),
  };
}

type ClaimSchemas = ReturnType<typeof buildClaimSchemas>;
let claimSchemas: ClaimSchemas | undefined;

/** What a signed link lets its holder do, for one account, until it expires. */
export type LinkPurpose = keyof ClaimSchemas;
/** `exp`: expiry, epoch seconds. */
export type LinkClaims<P extends LinkPurpose = LinkPurpose> = z.infer<ClaimSchemas[P]>;

/**
 * Links in emails and 402 answers carry `payload.signature` (HMAC-SHA256), never a key: the
 * payload names the account and purpose, the signature proves Tollgate issued it, and it expires.
 */
export function signLink(claims: LinkClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${signature(payload, secret)}`;
}

export function verifyLink<P extends LinkPurpose>(token: string, purpose: P, now: Date, secret: string): LinkClaims<P> {
  const [payload, given, extra] = token.split('.');
  if (!payload || !given || extra !== undefined || !safeEqual(given, signature(payload, secret))) throw new InvalidLinkError();
  claimSchemas ??= buildClaimSchemas();
  const claims = claimSchemas[purpose].safeParse(parseJson(Buffer.from(payload, 'base64url').toString('utf8')));
  if (!claims.success) throw new InvalidLinkError('This link is not valid for this page.');
  if (claims.data.exp * 1000 <= now.getTime()) throw new ExpiredLinkError();
  return claims.data as LinkClaims<P>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function signature(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

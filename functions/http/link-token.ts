import { IncompleteLinkError } from '../shared/errors.ts';
import { linkSigningSecret } from '../shared/secrets.ts';
import { type LinkClaims, type LinkPurpose, verifyLink } from '../shared/signed-links.ts';
import type { HttpEvent } from './types.ts';

const TOKEN = /^[\x21-\x7E]{10,2048}$/;

/**
 * The claims of the signed link a page was opened with (`?token=` and nothing else). A missing or
 * mangled token is an incomplete link (400), not a validation message meant for programs.
 */
export async function linkClaims<P extends LinkPurpose>(event: HttpEvent, purpose: P, now: Date): Promise<LinkClaims<P>> {
  const query = event.queryStringParameters ?? {};
  const { token } = query;
  if (token === undefined || !TOKEN.test(token) || Object.keys(query).length !== 1) throw new IncompleteLinkError();
  return verifyLink(token, purpose, now, await linkSigningSecret());
}

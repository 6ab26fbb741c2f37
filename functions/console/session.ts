import { createHmac } from 'node:crypto';
import { header } from '../http/request.ts';
import type { HttpEvent } from '../http/types.ts';
import { secretsEqual } from '../shared/ids.ts';
import { linkSigningSecret } from '../shared/secrets.ts';
import { signLink, verifyLink } from '../shared/signed-links.ts';

export const SESSION_COOKIE = 'tollgate_console';
/** A session lasts an hour; signing in again starts a new one. */
export const SESSION_SECONDS = 3600;
const COOKIE_VALUE = /^[A-Za-z0-9_.-]{10,2048}$/;

/** A session: the signed cookie value and the CSRF token every form of the session carries. */
export interface Session {
  token: string;
  csrf: string;
}

/** A new session's cookie value, signed with the link-signing secret (purpose `console`, so no link can stand in for it). */
export async function newSessionToken(now: Date): Promise<string> {
  return signLink({ purpose: 'console', exp: Math.floor(now.getTime() / 1000) + SESSION_SECONDS }, await linkSigningSecret());
}

/** The request's valid session, or undefined (no cookie, a forged or expired one). */
export async function sessionOf(event: HttpEvent, now: Date): Promise<Session | undefined> {
  const token = cookie(event, SESSION_COOKIE);
  if (!token || !COOKIE_VALUE.test(token)) return undefined;
  const secret = await linkSigningSecret();
  try {
    verifyLink(token, 'console', now, secret);
  } catch {
    return undefined;
  }
  return { token, csrf: csrfToken(token, secret) };
}

/** The form's CSRF token must be the session's: derived from the cookie, so a page of another site cannot know it. */
export function csrfValid(session: Session, given: string | null): boolean {
  return given !== null && secretsEqual(given, session.csrf);
}

function csrfToken(sessionToken: string, secret: string): string {
  return createHmac('sha256', secret).update(`console-csrf.${sessionToken}`).digest('base64url');
}

/** `Set-Cookie` for a session (or, with no token, one that clears it). `Secure` unless the request came over plain http. */
export function sessionCookie(event: HttpEvent, token: string | undefined): string {
  const secure = header(event, 'x-forwarded-proto') === 'http' ? '' : '; Secure';
  const life = token ? `Max-Age=${SESSION_SECONDS}` : 'Max-Age=0';
  return `${SESSION_COOKIE}=${token ?? ''}; ${life}; Path=/console; HttpOnly; SameSite=Strict${secure}`;
}

/** API Gateway (payload 2.0) passes cookies in `cookies`; the local gateway in the Cookie header. */
function cookie(event: HttpEvent, name: string): string | undefined {
  const pairs = event.cookies ?? (header(event, 'cookie') ?? '').split(';');
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExpiredLinkError, InvalidLinkError, TollgateError } from '../../functions/shared/errors.ts';
import { signLink, verifyLink } from '../../functions/shared/signed-links.ts';

const secret = 'test-secret-0123456789abcdef0123456789';
const now = new Date('2026-11-25T10:00:00Z');
const claims = { purpose: 'usage' as const, accountId: 'acc_1234567890abcdef', exp: now.getTime() / 1000 + 3600 };

describe('signed links', () => {
  it('round-trips its claims', () => {
    expect(verifyLink(signLink(claims, secret), 'usage', now, secret)).toEqual(claims);
  });

  it('rejects a tampered payload', () => {
    const [, sig] = signLink(claims, secret).split('.');
    const forged = `${Buffer.from(JSON.stringify({ ...claims, accountId: 'acc_someoneelse00000' })).toString('base64url')}.${sig}`;
    expect(() => verifyLink(forged, 'usage', now, secret)).toThrow(InvalidLinkError);
  });

  it('rejects another secret, another purpose and garbage', () => {
    expect(() => verifyLink(signLink(claims, secret), 'usage', now, 'other-secret-0123456789abcdef012345')).toThrow(InvalidLinkError);
    expect(() => verifyLink(signLink(claims, secret), 'unsubscribe', now, secret)).toThrow(InvalidLinkError);
    expect(() => verifyLink('nonsense', 'usage', now, secret)).toThrow(InvalidLinkError);
    expect(() => verifyLink('a.b.c', 'usage', now, secret)).toThrow(InvalidLinkError);
  });

  it('rejects an expired link with 410', () => {
    expect(() => verifyLink(signLink(claims, secret), 'usage', new Date(now.getTime() + 3_600_000), secret)).toThrow(ExpiredLinkError);
  });

  it('carries no secret: the payload is only purpose, account, expiry', () => {
    const payload = JSON.parse(Buffer.from(signLink(claims, secret).split('.')[0] ?? '', 'base64url').toString());
    expect(Object.keys(payload).sort()).toEqual(['accountId', 'exp', 'purpose']);
  });

  describe('claims are shape-checked after the signature', () => {
    /** A correctly signed token whose payload is exactly this text. */
    const signedPayload = (text: string) => {
      const payload = Buffer.from(text).toString('base64url');
      return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
    };
    const statusOf = (token: string, purpose: 'usage' | 'resume' | 'checkout' = 'usage') => {
      try {
        verifyLink(token, purpose, now, secret);
        return 'accepted';
      } catch (error) {
        return error instanceof TollgateError ? error.problem.status : `crashed: ${(error as Error).name}`;
      }
    };
    const exp = claims.exp;

    it.each([
      ['a payload that is not JSON', 'not json {'],
      ['a JSON array', '[]'],
      ['JSON null', 'null'],
      ['no exp (would never expire)', JSON.stringify({ purpose: 'usage', accountId: claims.accountId })],
      ['a string exp', JSON.stringify({ ...claims, exp: 'never' })],
      ['a numeric-string exp', JSON.stringify({ ...claims, exp: String(exp) })],
      ['a fractional exp', JSON.stringify({ ...claims, exp: exp + 0.5 })],
      ['a null exp', JSON.stringify({ ...claims, exp: null })],
      ['no account', JSON.stringify({ purpose: 'usage', exp })],
      ['an account id that is not one', JSON.stringify({ ...claims, accountId: '../../etc' })],
      ['an unknown field', JSON.stringify({ ...claims, admin: true })],
      ['an unknown purpose', JSON.stringify({ ...claims, purpose: 'everything' })],
      ['a usage link carrying a malformed query id', JSON.stringify({ ...claims, queryId: '../q' })],
      ['a usage link carrying a checkout’s pack', JSON.stringify({ ...claims, pack: 'pack_100' })],
    ])('%s is a 403, never a crash or an endless link', (_, text) => {
      expect(statusOf(signedPayload(text))).toBe(403);
    });

    it('a resume link must name a well-formed query', () => {
      const resume = { purpose: 'resume', accountId: claims.accountId, exp };
      expect(statusOf(signedPayload(JSON.stringify(resume)), 'resume')).toBe(403);
      expect(statusOf(signedPayload(JSON.stringify({ ...resume, queryId: 'nope' })), 'resume')).toBe(403);
      expect(statusOf(signedPayload(JSON.stringify({ ...resume, queryId: 'q_abcdefghijklmnop' })), 'resume')).toBe('accepted');
    });

    it('a checkout link names exactly one of a pack and a plan, and may carry the parked query', () => {
      const checkout = { purpose: 'checkout', accountId: claims.accountId, exp };
      expect(statusOf(signedPayload(JSON.stringify({ ...checkout, pack: 'pack_100', queryId: 'q_abcdefghijklmnop' })), 'checkout')).toBe('accepted');
      expect(statusOf(signedPayload(JSON.stringify({ ...checkout, plan: 'starter' })), 'checkout')).toBe('accepted');
      expect(statusOf(signedPayload(JSON.stringify(checkout)), 'checkout')).toBe(403);
      expect(statusOf(signedPayload(JSON.stringify({ ...checkout, pack: 'pack_100', plan: 'starter' })), 'checkout')).toBe(403);
    });
  });
});

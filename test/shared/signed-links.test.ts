import { describe, expect, it } from 'vitest';
import { ForbiddenError, GoneError } from '../../functions/shared/errors.ts';
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
    expect(() => verifyLink(forged, 'usage', now, secret)).toThrow(ForbiddenError);
  });

  it('rejects another secret, another purpose and garbage', () => {
    expect(() => verifyLink(signLink(claims, secret), 'usage', now, 'other-secret-0123456789abcdef012345')).toThrow(ForbiddenError);
    expect(() => verifyLink(signLink(claims, secret), 'unsubscribe', now, secret)).toThrow(ForbiddenError);
    expect(() => verifyLink('nonsense', 'usage', now, secret)).toThrow(ForbiddenError);
    expect(() => verifyLink('a.b.c', 'usage', now, secret)).toThrow(ForbiddenError);
  });

  it('rejects an expired link with 410', () => {
    expect(() => verifyLink(signLink(claims, secret), 'usage', new Date(now.getTime() + 3_600_000), secret)).toThrow(GoneError);
  });

  it('carries no secret: the payload is only purpose, account, expiry', () => {
    const payload = JSON.parse(Buffer.from(signLink(claims, secret).split('.')[0] ?? '', 'base64url').toString());
    expect(Object.keys(payload).sort()).toEqual(['accountId', 'exp', 'purpose']);
  });
});

import { config, required } from '../shared/config.ts';
import { linkSigningSecret } from '../shared/secrets.ts';
import { type LinkPurpose, signLink } from '../shared/signed-links.ts';
import type { EmailLinks } from './email.ts';

/** Unsubscribe links must keep working long after the email arrives. */
const UNSUBSCRIBE_TTL_HOURS = 24 * 90;

export const linkPaths: Record<LinkPurpose, string> = {
  usage: '/usage',
  remind: '/remind',
  unsubscribe: '/v1/alerts/unsubscribe',
  resume: '/resume',
  checkout: '/checkout',
};

/** A signed, expiring link for one account and purpose. */
export async function signedUrl(
  purpose: LinkPurpose,
  accountId: string,
  now: Date,
  extra: { queryId?: string; pack?: string; plan?: string; ttlHours?: number } = {},
): Promise<string> {
  const ttlHours = extra.ttlHours ?? config().LINK_TTL_HOURS;
  const token = signLink(
    { purpose, accountId, exp: Math.floor(now.getTime() / 1000) + ttlHours * 3600, queryId: extra.queryId, pack: extra.pack, plan: extra.plan },
    await linkSigningSecret(),
  );
  return `${required('TOLLGATE_PUBLIC_URL').replace(/\/+$/, '')}${linkPaths[purpose]}?token=${token}`;
}

/** Every link an alert email carries. */
export async function emailLinks(accountId: string, now: Date, queryId?: string): Promise<EmailLinks> {
  const usage = await signedUrl('usage', accountId, now, { queryId });
  return {
    usage,
    remind: await signedUrl('remind', accountId, now),
    unsubscribe: await signedUrl('unsubscribe', accountId, now, { ttlHours: UNSUBSCRIBE_TTL_HOURS }),
    topUp: config().BILLING_URL ?? usage,
    resume: queryId ? await signedUrl('resume', accountId, now, { queryId }) : undefined,
  };
}

import { config, required } from '../shared/config.ts';
import { linkSigningSecret } from '../shared/secrets.ts';
import { type LinkClaims, type LinkPurpose, signLink } from '../shared/signed-links.ts';
import type { EmailLinks } from './email.ts';

/** Unsubscribe links must keep working long after the email arrives. */
export const UNSUBSCRIBE_TTL_HOURS = 24 * 90;

export const linkPaths: Record<LinkPurpose, string> = {
  usage: '/usage',
  remind: '/remind',
  unsubscribe: '/v1/alerts/unsubscribe',
  digestOff: '/v1/alerts/digest/unsubscribe',
  report: '/reports/recovery',
  resume: '/resume',
  checkout: '/checkout',
  /** Not a link: the console's session cookie is signed the same way, for its pages under this path. */
  console: '/console',
};

/** A signed, expiring link for one account and purpose. */
export async function signedUrl(
  purpose: LinkPurpose,
  accountId: string,
  now: Date,
  extra: { queryId?: string; pack?: string; plan?: string; ttlHours?: number } = {},
): Promise<string> {
  const ttlHours = extra.ttlHours ?? config().LINK_TTL_HOURS;
  const exp = Math.floor(now.getTime() / 1000) + ttlHours * 3600;
  // Each purpose's own fields (a resume link's query, a checkout's pack or plan) are checked where the link is opened.
  const claims = { purpose, accountId, exp, queryId: extra.queryId, pack: extra.pack, plan: extra.plan } as LinkClaims;
  const token = signLink(claims, await linkSigningSecret());
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

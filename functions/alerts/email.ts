import { type Copy, copyFor } from '../copy/render.ts';
import { escapeHtml } from '../http/response.ts';
import type { BuyLinks } from '../payments/buy-links.ts';
import type { Plan, TopUpPack } from '../pricing/price-book.ts';
import type { OperationUsage } from '../usage/aggregate.ts';

export interface EmailLinks {
  usage: string;
  remind: string;
  unsubscribe: string;
  topUp: string;
  resume?: string;
  /** The Buy link of each pack and plan. */
  buy?: BuyLinks;
}

export interface AlertEmailInput {
  kind: 'threshold' | 'depletion' | 'refused' | 'reminder' | 'resumed' | 'receipt';
  name: string;
  balance: number;
  /** Credits reserved by open holds, outside `balance`; shown when above zero. @default 0 */
  held?: number;
  asOf: string;
  percent?: number;
  usage: { since: string; total: number; top: OperationUsage[] };
  runwayDays?: number;
  packs: TopUpPack[];
  plans: Plan[];
  /** Depletion: the query that was refused (and parked); refused: the admin debit that was refused. */
  refused?: { operation: string; required: number; expiresAt?: string };
  /** Auto-resume: the parked queries a top-up ran. */
  resumed?: { operation: string; credits: number; ok: boolean }[];
  /** Receipt: what the payment bought, e.g. "100 credits for $5.00". */
  purchase?: string;
  links: EmailLinks;
  /** A real recovery rate for the customer's plan, when there is one worth showing. */
  socialProof?: string;
  /** The words, in the account's locale with the operator's overrides. @default English defaults */
  copy?: Copy;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  headers: { name: string; value: string }[];
}

/** Renders an alert email (plain text + HTML) from the catalogue, in the copy's locale. Pure. */
export function renderAlertEmail(input: AlertEmailInput): RenderedEmail {
  const { links } = input;
  const c = input.copy ?? copyFor('en');
  const t = c.t;
  const refused = input.refused ?? { operation: 'request', required: 0 };
  const facts = {
    name: input.name,
    balance: input.balance,
    percent: input.percent ?? 0,
    operation: refused.operation,
    required: refused.required,
    shortfall: refused.required - input.balance,
    count: input.resumed?.length ?? 0,
    purchase: input.purchase ?? '',
  };
  const resumedLine = (q: { operation: string; credits: number; ok: boolean }) =>
    `• ${t(q.ok ? 'email.resumed.done' : 'email.resumed.failed', { operation: q.operation, credits: q.credits })}`;
  const plural = facts.count === 1 ? 'one' : 'other';
  const copy = {
    threshold: () => ({ subject: t('email.threshold.subject', facts), intro: t('email.threshold.intro', facts) }),
    depletion: () => ({ subject: t('email.depletion.subject', facts), intro: t('email.depletion.intro', facts) }),
    refused: () => ({ subject: t('email.refused.subject', facts), intro: t('email.refused.intro', facts) }),
    reminder: () => ({ subject: t('email.reminder.subject', facts), intro: t('email.reminder.intro', facts) }),
    resumed: () => ({
      subject: t(`email.resumed.subject.${plural}`, facts),
      intro: [t(`email.resumed.intro.${plural}`, facts), ...(input.resumed ?? []).map(resumedLine)].join('\n'),
    }),
    receipt: () => ({
      subject: t('email.receipt.subject', facts),
      intro: [
        t('email.receipt.intro', facts),
        ...(input.resumed && input.resumed.length > 0 ? [t('email.receipt.ran'), ...input.resumed.map(resumedLine)] : []),
      ].join('\n'),
    }),
  }[input.kind]();
  const { subject, intro } = copy;
  const usageLines =
    input.usage.top.length > 0
      ? input.usage.top.map((u) => t('email.usage.line', { operation: u.operation, credits: u.credits, requests: u.count }))
      : [t('email.usage.none')];
  const packs = input.packs.map((p) => ({ label: t('email.topUp.option', { credits: p.credits, price: p.price }), href: links.buy?.pack(p.id) }));
  const plans = input.plans.map((p) => ({
    label: t('email.plan.option', { plan: p.name, credits: p.monthlyCredits, price: p.price }),
    href: links.buy?.plan(p.id),
  }));
  const textOption = (o: { label: string; href?: string }) => `  - ${o.label}${o.href ? `: ${o.href}` : ''}`;
  const resume =
    input.refused?.expiresAt && links.resume ? { label: t('email.depletion.resume', { expiresAt: input.refused.expiresAt }), href: links.resume } : undefined;
  const sections = {
    balance: t('email.balance', { balance: input.balance, asOf: input.asOf }),
    held: input.held ? t('email.held', { held: input.held }) : undefined,
    runway: input.runwayDays === undefined ? undefined : runway(c, input.runwayDays),
    usageHeading: t('email.usage.heading', { since: input.usage.since, total: input.usage.total }),
  };
  const m = {
    topUpHeading: t('email.topUp.heading'),
    planHeading: t('email.plan.heading'),
    viewUsage: t('email.viewUsage'),
    remindLater: t('email.remindLater'),
    unsubscribe: t('email.unsubscribe'),
    footer: t('email.footer'),
  };

  const text = [
    intro,
    '',
    sections.balance,
    sections.held,
    sections.runway,
    '',
    sections.usageHeading,
    ...usageLines.map((line) => `  - ${line}`),
    '',
    ...(resume ? [`${resume.label}: ${resume.href}`, ''] : []),
    ...(input.socialProof ? [input.socialProof, ''] : []),
    `${m.topUpHeading}: ${links.topUp}`,
    ...packs.map(textOption),
    ...(plans.length > 0 ? ['', `${m.planHeading}:`, ...plans.map(textOption)] : []),
    '',
    `${m.viewUsage}: ${links.usage}`,
    `${m.remindLater}: ${links.remind}`,
    '',
    m.footer,
    `${m.unsubscribe}: ${links.unsubscribe}`,
  ]
    .filter((line) => line !== undefined)
    .join('\n');

  const button = (label: string, href: string) =>
    `<a href="${attr(href)}" style="display:inline-block;background:#1d4ed8;color:#ffffff;padding:10px 16px;border-radius:6px;text-decoration:none;margin:4px 8px 4px 0">${esc(label)}</a>`;
  const list = (items: string[]) => `<ul>${items.map((item) => `<li>${esc(item)}</li>`).join('')}</ul>`;
  const options = (items: { label: string; href?: string }[]) =>
    `<ul>${items.map((o) => `<li>${o.href ? `<a href="${attr(o.href)}">${esc(o.label)}</a>` : esc(o.label)}</li>`).join('')}</ul>`;
  const html = `<!doctype html>
<html lang="${c.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;line-height:1.5;max-width:600px;margin:0 auto;padding:16px">
<p style="white-space:pre-line">${esc(intro)}</p>
<p><strong>${esc(sections.balance)}</strong>${sections.held ? `<br>${esc(sections.held)}` : ''}${sections.runway ? `<br>${esc(sections.runway)}` : ''}</p>
<h2 style="font-size:16px">${esc(sections.usageHeading)}</h2>
${list(usageLines)}
${resume ? `<p>${button(resume.label, resume.href)}</p>` : ''}
${input.socialProof ? `<p>${esc(input.socialProof)}</p>` : ''}
<h2 style="font-size:16px">${esc(m.topUpHeading)}</h2>
${options(packs)}
<p>${button(m.topUpHeading, links.topUp)}</p>
${plans.length > 0 ? `<h2 style="font-size:16px">${esc(m.planHeading)}</h2>${options(plans)}` : ''}
<p>${button(m.viewUsage, links.usage)}${button(m.remindLater, links.remind)}</p>
<p style="color:#4b5563;font-size:13px">${esc(m.footer)} <a href="${attr(links.unsubscribe)}" style="color:#4b5563">${esc(m.unsubscribe)}</a></p>
</body></html>`;

  return {
    subject,
    text,
    html,
    headers: [
      { name: 'List-Unsubscribe', value: `<${links.unsubscribe}>` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ],
  };
}

/** Days of credits left at the recent pace, in whole days. */
function runway(c: Copy, days: number): string {
  return days < 1 ? c.t('email.runway.underADay') : c.t('email.runway.days', { days: Math.round(days) });
}

const esc = escapeHtml;
const attr = escapeHtml;

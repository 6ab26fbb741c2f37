import { escapeHtml } from '../http/response.ts';
import type { BuyLinks } from '../payments/buy-links.ts';
import type { Plan, TopUpPack } from '../pricing/price-book.ts';
import type { OperationUsage } from '../usage/aggregate.ts';
import { emailMessages as m } from './messages.ts';

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
  /** Receipt: what the payment bought, e.g. "100 credits for 5.00 USD". */
  purchase?: string;
  links: EmailLinks;
  /** A real recovery rate for the customer's plan, when there is one worth showing. */
  socialProof?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  headers: { name: string; value: string }[];
}

/** Renders an alert email (plain text + HTML) from the catalogue. Pure. */
export function renderAlertEmail(input: AlertEmailInput): RenderedEmail {
  const { links } = input;
  const refused = input.refused ?? { operation: 'request', required: 0 };
  const copy = {
    threshold: () => ({
      subject: m.threshold.subject({ percent: input.percent ?? 0, balance: input.balance }),
      intro: m.threshold.intro({ name: input.name, percent: input.percent ?? 0, balance: input.balance }),
    }),
    depletion: () => ({
      subject: m.depletion.subject({ operation: refused.operation, shortfall: refused.required - input.balance }),
      intro: m.depletion.intro({ name: input.name, operation: refused.operation, required: refused.required, balance: input.balance }),
    }),
    refused: () => ({
      subject: m.refused.subject({ operation: refused.operation, shortfall: refused.required - input.balance }),
      intro: m.refused.intro({ name: input.name, operation: refused.operation, required: refused.required, balance: input.balance }),
    }),
    reminder: () => ({ subject: m.reminder.subject({ balance: input.balance }), intro: m.reminder.intro({ name: input.name, balance: input.balance }) }),
    resumed: () => ({
      subject: m.resumed.subject({ count: input.resumed?.length ?? 0 }),
      intro: [m.resumed.intro({ name: input.name, count: input.resumed?.length ?? 0 }), ...(input.resumed ?? []).map((q) => `• ${m.resumed.line(q)}`)].join(
        '\n',
      ),
    }),
    receipt: () => ({
      subject: m.receipt.subject({ purchase: input.purchase ?? '' }),
      intro: [
        m.receipt.intro({ name: input.name, purchase: input.purchase ?? '' }),
        ...(input.resumed && input.resumed.length > 0 ? [m.receipt.ran, ...input.resumed.map((q) => `• ${m.resumed.line(q)}`)] : []),
      ].join('\n'),
    }),
  }[input.kind]();
  const { subject, intro } = copy;
  const usageLines = input.usage.top.length > 0 ? input.usage.top.map((u) => m.usageLine(u)) : [m.noUsage];
  const packs = input.packs.map((p) => ({ label: m.topUpOption({ credits: p.credits, ...p.price }), href: links.buy?.pack(p.id) }));
  const plans = input.plans.map((p) => ({ label: m.planOption({ name: p.name, monthlyCredits: p.monthlyCredits, ...p.price }), href: links.buy?.plan(p.id) }));
  const textOption = (o: { label: string; href?: string }) => `  - ${o.label}${o.href ? `: ${o.href}` : ''}`;
  const resume =
    input.refused?.expiresAt && links.resume ? { label: m.depletion.resume({ expiresAt: input.refused.expiresAt }), href: links.resume } : undefined;
  const sections = {
    balance: m.balanceLine({ balance: input.balance, asOf: input.asOf }),
    runway: input.runwayDays === undefined ? undefined : m.runway(input.runwayDays),
    usageHeading: m.usageHeading({ since: input.usage.since, total: input.usage.total }),
  };

  const text = [
    intro,
    '',
    sections.balance,
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
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;line-height:1.5;max-width:600px;margin:0 auto;padding:16px">
<p style="white-space:pre-line">${esc(intro)}</p>
<p><strong>${esc(sections.balance)}</strong>${sections.runway ? `<br>${esc(sections.runway)}` : ''}</p>
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

const esc = escapeHtml;
const attr = escapeHtml;

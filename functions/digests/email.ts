import type { RenderedEmail } from '../alerts/email.ts';
import type { Copy } from '../copy/render.ts';
import { escapeHtml } from '../http/response.ts';
import type { OperationUsage } from '../usage/aggregate.ts';
import type { DigestPeriod } from './period.ts';

export interface DigestInput {
  name: string;
  period: Pick<DigestPeriod, 'kind' | 'id' | 'from' | 'to'>;
  balance: number;
  asOf: string;
  /** Net credits spent per operation this period and the period before. */
  usage: OperationUsage[];
  previous: OperationUsage[];
  runwayDays?: number;
  links: { usage: string; topUp: string; remind: string; digestOff: string };
}

/** The change against the period before, in the customer's words ("+12 credits (+40 %)", "new", "no change"). Pure. */
export function changeText(now: number, before: number, copy: Copy): string {
  if (now === before) return copy.t('email.digest.change.none');
  if (before === 0) return copy.t('email.digest.change.new');
  const values = { credits: Math.abs(now - before), percent: Math.round((Math.abs(now - before) / before) * 100) };
  return copy.t(now > before ? 'email.digest.change.up' : 'email.digest.change.down', values);
}

/** A usage digest (plain text + HTML) in the account's language: usage by operation, the change, the balance and runway, the usual actions. Pure. */
export function renderDigestEmail(input: DigestInput, copy: Copy): RenderedEmail {
  const { t } = copy;
  const total = input.usage.reduce((sum, u) => sum + u.credits, 0);
  const previousTotal = input.previous.reduce((sum, u) => sum + u.credits, 0);
  const operations = [...new Set([...input.usage, ...input.previous].map((u) => u.operation))];
  const rows = operations
    .map((operation) => {
      const now = input.usage.find((u) => u.operation === operation);
      const before = input.previous.find((u) => u.operation === operation);
      return { operation, count: now?.count ?? 0, credits: now?.credits ?? 0, change: changeText(now?.credits ?? 0, before?.credits ?? 0, copy) };
    })
    .sort((a, b) => b.credits - a.credits || a.operation.localeCompare(b.operation));
  const kind = input.period.kind;
  const change = changeText(total, previousTotal, copy);
  const range = { from: input.period.from.toISOString(), to: new Date(input.period.to.getTime() - 1).toISOString() };
  const subject = t(`email.digest.subject.${kind}`, { total, change });
  const intro = t(`email.digest.intro.${kind}`, { name: input.name, period: input.period.id, ...range });
  const totalLine = t(`email.digest.total.${kind}`, { total, change, previous: previousTotal });
  const balanceLine = t('email.balance', { balance: input.balance, asOf: input.asOf });
  const runwayLine =
    input.runwayDays === undefined
      ? t('email.digest.runway.none')
      : input.runwayDays < 1
        ? t('email.runway.underADay')
        : t('email.runway.days', { days: Math.floor(input.runwayDays) });
  const lines =
    rows.length > 0
      ? rows.map((r) => t('email.digest.line', { operation: r.operation, requests: r.count, credits: r.credits, change: r.change }))
      : [t('email.digest.none')];
  const [addCredits, seeUsage, remindLater, stop] = [t('email.topUp.heading'), t('email.viewUsage'), t('email.remindLater'), t('email.digest.stop')];
  const footer = t('email.digest.footer');
  const text = [
    intro,
    '',
    totalLine,
    ...lines.map((line) => `  - ${line}`),
    '',
    balanceLine,
    runwayLine,
    '',
    `${addCredits}: ${input.links.topUp}`,
    `${seeUsage}: ${input.links.usage}`,
    `${remindLater}: ${input.links.remind}`,
    '',
    footer,
    `${stop}: ${input.links.digestOff}`,
  ].join('\n');
  const esc = escapeHtml;
  const button = (text: string, href: string) =>
    `<a href="${esc(href)}" style="display:inline-block;background:#1d4ed8;color:#ffffff;padding:10px 16px;border-radius:6px;text-decoration:none;margin:4px 8px 4px 0">${esc(text)}</a>`;
  const table =
    rows.length > 0
      ? `<table style="border-collapse:collapse"><thead><tr><th align="left">${esc(t('email.digest.column.operation'))}</th><th align="right">${esc(t('email.digest.column.requests'))}</th><th align="right">${esc(t('email.digest.column.credits'))}</th><th align="left">${esc(t('email.digest.column.change'))}</th></tr></thead><tbody>${rows
          .map(
            (r) =>
              `<tr><td style="padding:2px 8px 2px 0">${esc(r.operation)}</td><td align="right" style="padding:2px 8px">${esc(copy.format.number(r.count))}</td><td align="right" style="padding:2px 8px">${esc(copy.format.number(r.credits))}</td><td style="padding:2px 8px">${esc(r.change)}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : `<p>${esc(t('email.digest.none'))}</p>`;
  const html = `<!doctype html>
<html lang="${copy.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;line-height:1.5;max-width:600px;margin:0 auto;padding:16px">
<p>${esc(intro)}</p>
<p><strong>${esc(totalLine)}</strong></p>
${table}
<p><strong>${esc(balanceLine)}</strong><br>${esc(runwayLine)}</p>
<p>${button(addCredits, input.links.topUp)}${button(seeUsage, input.links.usage)}${button(remindLater, input.links.remind)}</p>
<p style="color:#4b5563;font-size:13px">${esc(footer)} <a href="${esc(input.links.digestOff)}" style="color:#4b5563">${esc(stop)}</a></p>
</body></html>`;
  return {
    subject,
    text,
    html,
    headers: [
      { name: 'List-Unsubscribe', value: `<${input.links.digestOff}>` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ],
  };
}

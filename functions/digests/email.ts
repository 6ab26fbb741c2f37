import type { RenderedEmail } from '../alerts/email.ts';
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

const credits = (n: number) => `${n.toLocaleString('en-US')} credit${n === 1 ? '' : 's'}`;
const day = (date: Date) => date.toISOString().slice(0, 10);

/** The change against the period before, in words ("+12 credits (+40 %)", "new", "no change"). Pure. */
export function changeText(now: number, before: number): string {
  if (now === before) return 'no change';
  if (before === 0) return 'new';
  const sign = now > before ? '+' : '−';
  return `${sign}${credits(Math.abs(now - before))} (${sign}${Math.round((Math.abs(now - before) / before) * 100)} %)`;
}

/** A usage digest (plain text + HTML): usage by operation, the change, the balance and runway, the usual actions. Pure. */
export function renderDigestEmail(input: DigestInput): RenderedEmail {
  const total = input.usage.reduce((sum, u) => sum + u.credits, 0);
  const previousTotal = input.previous.reduce((sum, u) => sum + u.credits, 0);
  const operations = [...new Set([...input.usage, ...input.previous].map((u) => u.operation))];
  const rows = operations
    .map((operation) => {
      const now = input.usage.find((u) => u.operation === operation);
      const before = input.previous.find((u) => u.operation === operation);
      return { operation, count: now?.count ?? 0, credits: now?.credits ?? 0, change: changeText(now?.credits ?? 0, before?.credits ?? 0) };
    })
    .sort((a, b) => b.credits - a.credits || a.operation.localeCompare(b.operation));
  const label = input.period.kind === 'weekly' ? 'week' : 'month';
  const range = `${day(input.period.from)} to ${day(new Date(input.period.to.getTime() - 1))}`;
  const subject = `Your ${input.period.kind} usage: ${credits(total)} (${changeText(total, previousTotal)})`;
  const intro = `Hi ${input.name}, here is your usage for the ${label} ${input.period.id} (${range}, UTC).`;
  const totalLine = `Total: ${credits(total)}, ${changeText(total, previousTotal)} against the ${label} before (${credits(previousTotal)}).`;
  const balanceLine = `Balance: ${credits(input.balance)} as of ${input.asOf}.`;
  const runwayLine =
    input.runwayDays === undefined
      ? 'No spending in the last 7 days, so no runway to estimate.'
      : `At the pace of the last 7 days, that lasts about ${Math.max(0, Math.floor(input.runwayDays))} more days.`;
  const lines = rows.length > 0 ? rows.map((r) => `${r.operation}: ${r.count} calls, ${credits(r.credits)} (${r.change})`) : ['No usage in this period.'];
  const footer = `You get this digest because you asked for a ${input.period.kind} usage digest. One click on "Stop the digest" turns it off; balance alerts stay as they are.`;
  const text = [
    intro,
    '',
    totalLine,
    ...lines.map((line) => `  - ${line}`),
    '',
    balanceLine,
    runwayLine,
    '',
    `Add credits: ${input.links.topUp}`,
    `See my usage: ${input.links.usage}`,
    `Remind me later: ${input.links.remind}`,
    '',
    footer,
    `Stop the digest: ${input.links.digestOff}`,
  ].join('\n');
  const esc = escapeHtml;
  const button = (text: string, href: string) =>
    `<a href="${esc(href)}" style="display:inline-block;background:#1d4ed8;color:#ffffff;padding:10px 16px;border-radius:6px;text-decoration:none;margin:4px 8px 4px 0">${esc(text)}</a>`;
  const table =
    rows.length > 0
      ? `<table style="border-collapse:collapse"><thead><tr><th align="left">Operation</th><th align="right">Calls</th><th align="right">Credits</th><th align="left">Change</th></tr></thead><tbody>${rows
          .map(
            (r) =>
              `<tr><td style="padding:2px 8px 2px 0">${esc(r.operation)}</td><td align="right" style="padding:2px 8px">${r.count}</td><td align="right" style="padding:2px 8px">${r.credits.toLocaleString('en-US')}</td><td style="padding:2px 8px">${esc(r.change)}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '<p>No usage in this period.</p>';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;line-height:1.5;max-width:600px;margin:0 auto;padding:16px">
<p>${esc(intro)}</p>
<p><strong>${esc(totalLine)}</strong></p>
${table}
<p><strong>${esc(balanceLine)}</strong><br>${esc(runwayLine)}</p>
<p>${button('Add credits', input.links.topUp)}${button('See my usage', input.links.usage)}${button('Remind me later', input.links.remind)}</p>
<p style="color:#4b5563;font-size:13px">${esc(footer)} <a href="${esc(input.links.digestOff)}" style="color:#4b5563">Stop the digest</a></p>
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

import { type Copy, copyFor } from '../copy/render.ts';
import { escapeHtml as esc } from '../http/response.ts';
import type { Plan, TopUpPack } from '../pricing/price-book.ts';
import type { OperationUsage, UsageSummary } from './aggregate.ts';
import { REMINDER_DELAYS, type ReminderDelay, type UsageMessages, usageMessages } from './page-messages.ts';

/** One of the most expensive recent queries. */
export interface RecentQuery {
  operation: string;
  credits: number;
  /** ISO-8601 time the query ran. */
  at: string;
  queryId?: string;
}

/** Something for sale on the page, with where the customer goes to get it. */
export type Linked<T> = T & { href: string };

/** Everything the usage page shows; gathered by the route, rendered here without I/O. */
export interface UsagePageData {
  accountName: string;
  planName: string;
  /** `asOf` is an ISO-8601 time; `held`: credits reserved by open holds, outside `available`. */
  balance: { available: number; held: number; asOf: string };
  /** ISO-8601 times, `to` exclusive (as in `summarizeUsage`). */
  period: { from: string; to: string };
  usage: UsageSummary;
  /** Biggest first. */
  biggestQueries: RecentQuery[];
  /** Days of credits left at the pace of the last 7 days; undefined when there is no pace to measure. */
  runwayDays?: number;
  topUps: Linked<TopUpPack>[];
  /** Plans whose unused credits roll over. */
  plans: Linked<Plan>[];
  /** Where the "Remind me later" form posts its `after` field (an ISO-8601 duration). */
  remindAction: string;
  alerts: { enabled: boolean; thresholds: number[]; email: string };
  /** A one-off message, e.g. after a reminder was scheduled. */
  notice?: string;
  /** The words, in the account's locale with the operator's overrides. @default English defaults */
  copy?: Copy;
}

export { REMINDER_DELAYS };

const DEFAULT_DELAY: ReminderDelay = 'P1D';
const DAY_MS = 86_400_000;
/** Width of one day in the chart's coordinate system; its height is 100. */
const SLOT = 10;
const BAR = 7;

/** Renders the customer-facing usage page: one self-contained HTML document, no script. Pure. */
export function renderUsagePage(data: UsagePageData): string {
  const copy = data.copy ?? copyFor('en');
  const m = usageMessages(copy);
  const title = m.title({ account: data.accountName });
  return `<!doctype html>
<html lang="${copy.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLES}</style>
</head>
<body>
<main class="page">
<header class="masthead">
<h1>${esc(m.heading)}</h1>
<p class="muted">${esc(m.accountLine({ account: data.accountName, plan: data.planName }))}</p>
</header>
${data.notice ? `<p class="notice" role="status">${esc(data.notice)}</p>` : ''}
${balanceSection(m, data)}
${chartSection(m, data)}
<div class="columns">
${breakdownSection(m, data.usage)}
${biggestSection(m, data.biggestQueries)}
</div>
${forwardSection(m, data)}
${alertsSection(m, data.alerts)}
<footer class="muted small">${esc(m.footer)}</footer>
</main>
</body>
</html>
`;
}

function balanceSection(m: UsageMessages, { balance, runwayDays }: UsagePageData): string {
  const asOf = m.format.dateTime(new Date(balance.asOf));
  return `<section class="card balance" aria-labelledby="balance-heading">
<h2 id="balance-heading">${esc(m.balance.heading)}</h2>
<p class="amount">${esc(m.format.number(balance.available))} <span class="unit">${esc(m.balance.unit(balance.available))}</span></p>
<p class="as-of">${esc(m.balance.asOf({ asOf }))}</p>
${balance.held > 0 ? `<p class="held">${esc(m.balance.held({ held: balance.held }))}</p>` : ''}
${runwayDays === undefined ? '' : `<p class="runway">${esc(m.balance.runway(runwayDays))}</p>`}
</section>`;
}

function chartSection(m: UsageMessages, { usage, period }: UsagePageData): string {
  const range = { from: m.format.date(new Date(period.from)), to: m.format.date(new Date(Date.parse(period.to) - 1)) };
  const days = dailyCredits(usage.byDay, period);
  const body = days.some((d) => d.credits > 0) ? chart(m, days, usage.total, range) : emptyChart(m, range);
  return `<section class="card" aria-labelledby="chart-heading">
<div class="card-head">
<h2 id="chart-heading">${esc(m.chart.heading)}</h2>
<p class="muted small">${esc(m.chart.period(range))}</p>
</div>
<p class="total">${esc(m.chart.total(usage.total))}</p>
${body}
</section>`;
}

type Day = { date: string; credits: number };

/** Every UTC day of the period, with the days that had no use at zero. */
function dailyCredits(byDay: Day[], period: UsagePageData['period']): Day[] {
  const credits = new Map(byDay.map((d) => [d.date, d.credits]));
  const dates = new Set(periodDays(period));
  for (const d of byDay) dates.add(d.date);
  return [...dates].sort().map((date) => ({ date, credits: credits.get(date) ?? 0 }));
}

function periodDays({ from, to }: UsagePageData['period']): string[] {
  const last = Date.parse(to) - 1;
  const days: string[] = [];
  for (let t = Date.parse(from.slice(0, 10)); t <= last; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

function chart(m: UsageMessages, days: Day[], total: number, range: { from: string; to: string }): string {
  const top = axisMaximum(Math.max(...days.map((d) => d.credits)));
  const peak = days.reduce((best, d) => (d.credits > best.credits ? d : best));
  const summary = m.chart.summary({ ...range, total, peakDay: m.format.date(new Date(peak.date)), peak: peak.credits });
  const width = days.length * SLOT;
  const grid = [0, 50, 100].map((y) => `<line x1="0" x2="${width}" y1="${y}" y2="${y}"${y === 100 ? ' class="base"' : ''}/>`).join('');
  return `<figure class="chart">
<div class="y-axis" aria-hidden="true"><span>${m.format.number(top)}</span><span>${m.format.number(top / 2)}</span><span>0</span></div>
<svg viewBox="0 0 ${width} 100" preserveAspectRatio="none" role="img" aria-labelledby="chart-title">
<title id="chart-title">${esc(summary)}</title>
<g class="grid">${grid}</g>
<g class="bars">${days.map((d, i) => bar(m, d, i, top)).join('')}</g>
</svg>
<div class="x-axis" aria-hidden="true"><span>${esc(dayLabel(m, days[0]!))}</span><span>${esc(dayLabel(m, days.at(-1)!))}</span></div>
</figure>
${dayTable(m, days)}`;
}

/** A round top for the y axis, at least `value`, whose half is a whole number. */
function axisMaximum(value: number): number {
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(value)));
  return [1, 2, 4, 5, 6, 8, 10].map((s) => s * magnitude).find((c) => c >= value && Number.isInteger(c / 2))!;
}

function bar(m: UsageMessages, day: Day, index: number, top: number): string {
  const height = round((Math.max(0, day.credits) / top) * 100);
  const x = round(index * SLOT + (SLOT - BAR) / 2);
  const label = m.chart.bar({ day: dayLabel(m, day), credits: day.credits });
  return `<rect x="${x}" y="${round(100 - height)}" width="${BAR}" height="${height}" data-date="${esc(day.date)}" data-credits="${day.credits}"><title>${esc(label)}</title></rect>`;
}

const round = (value: number) => Math.round(value * 100) / 100;
const dayLabel = (m: UsageMessages, day: Day) => m.format.day(new Date(day.date));

/** The chart's data for screen readers and anyone without images. */
function dayTable(m: UsageMessages, days: Day[]): string {
  const rows = days.map((d) => `<tr><th scope="row">${esc(m.format.date(new Date(d.date)))}</th><td>${esc(m.format.number(d.credits))}</td></tr>`);
  return `<table class="visually-hidden">
<caption>${esc(m.chart.tableCaption)}</caption>
<thead><tr><th scope="col">${esc(m.chart.date)}</th><th scope="col">${esc(m.chart.credits)}</th></tr></thead>
<tbody>${rows.join('')}</tbody>
</table>`;
}

function emptyChart(m: UsageMessages, range: { from: string; to: string }): string {
  return `<div class="empty"><p><strong>${esc(m.chart.empty(range))}</strong></p><p class="muted">${esc(m.chart.emptyHint)}</p></div>`;
}

function breakdownSection(m: UsageMessages, usage: UsageSummary): string {
  const body =
    usage.byOperation.length === 0
      ? `<p class="muted">${esc(m.breakdown.empty)}</p>`
      : `<table class="data breakdown">
<thead><tr><th scope="col">${esc(m.breakdown.operation)}</th><th scope="col" class="num">${esc(m.breakdown.requests)}</th><th scope="col" class="num">${esc(m.breakdown.credits)}</th><th scope="col" class="num">${esc(m.breakdown.share)}</th></tr></thead>
<tbody>${usage.byOperation.map((u) => operationRow(m, u, usage.total)).join('')}</tbody>
</table>`;
  return `<section class="card" aria-labelledby="breakdown-heading">
<h2 id="breakdown-heading">${esc(m.breakdown.heading)}</h2>
${body}
</section>`;
}

function operationRow(m: UsageMessages, usage: OperationUsage, total: number): string {
  const share = total > 0 ? Math.max(0, usage.credits) / total : 0;
  return `<tr><th scope="row">${esc(usage.operation)}</th><td class="num">${esc(m.format.number(usage.count))}</td><td class="num">${esc(m.format.number(usage.credits))}</td><td class="num">${esc(m.breakdown.percent(share))}<span class="meter" aria-hidden="true"><span style="width:${round(share * 100)}%"></span></span></td></tr>`;
}

function biggestSection(m: UsageMessages, queries: RecentQuery[]): string {
  const body =
    queries.length === 0
      ? `<p class="muted">${esc(m.biggest.empty)}</p>`
      : `<table class="data">
<thead><tr><th scope="col">${esc(m.biggest.operation)}</th><th scope="col" class="num">${esc(m.biggest.credits)}</th><th scope="col">${esc(m.biggest.at)}</th></tr></thead>
<tbody>${queries.map((query) => queryRow(m, query)).join('')}</tbody>
</table>`;
  return `<section class="card" aria-labelledby="biggest-heading">
<h2 id="biggest-heading">${esc(m.biggest.heading)}</h2>
${body}
</section>`;
}

function queryRow(m: UsageMessages, query: RecentQuery): string {
  const id = query.queryId ? `<span class="id"><span class="visually-hidden">${esc(m.biggest.queryId)} </span>${esc(query.queryId)}</span>` : '';
  return `<tr><th scope="row">${esc(query.operation)}${id}</th><td class="num">${esc(m.format.number(query.credits))}</td><td>${esc(m.format.dayTime(new Date(query.at)))}</td></tr>`;
}

function forwardSection(m: UsageMessages, data: UsagePageData): string {
  return `<section class="card" aria-labelledby="forward-heading">
<h2 id="forward-heading">${esc(m.forward.heading)}</h2>
<p class="muted">${esc(m.forward.intro)}</p>
${topUpsBlock(m, data.topUps)}
${plansBlock(m, data.plans, data.planName)}
${remindForm(m, data.remindAction)}
</section>`;
}

function topUpsBlock(m: UsageMessages, packs: Linked<TopUpPack>[]): string {
  if (packs.length === 0) return '';
  const items = packs.map(
    (p) => `<li class="option">
<p class="option-title">${esc(m.topUps.credits(p.credits))}</p>
<p class="price">${esc(m.topUps.price(p.price))}</p>
<p class="muted small">${esc(m.topUps.perCredit({ ...p.price, credits: p.credits }))}</p>
<a class="button" href="${esc(p.href)}">${esc(m.topUps.buy.visible)}<span class="visually-hidden">${esc(m.topUps.buy.hidden(p.credits))}</span></a>
</li>`,
  );
  return `<h3>${esc(m.topUps.heading)}</h3>
<ul class="options">${items.join('')}</ul>
<p class="muted small">${esc(m.topUps.note)}</p>`;
}

function plansBlock(m: UsageMessages, plans: Linked<Plan>[], currentPlan: string): string {
  if (plans.length === 0) return '';
  const items = plans.map(
    (p) => `<li class="option">
<p class="option-title">${esc(p.name)}</p>
<p class="price">${esc(m.plans.price(p.price))} <span class="per">${esc(m.plans.per)}</span></p>
<p class="muted small">${esc(m.plans.perMonth(p.monthlyCredits))}. ${esc(m.plans.rollover)}</p>
${p.name === currentPlan ? `<p class="badge">${esc(m.plans.current)}</p>` : `<a class="button secondary" href="${esc(p.href)}">${esc(m.plans.choose(p.name))}</a>`}
</li>`,
  );
  return `<h3>${esc(m.plans.heading)}</h3>
<ul class="options wide">${items.join('')}</ul>`;
}

function remindForm(m: UsageMessages, action: string): string {
  const choices = REMINDER_DELAYS.map(
    (delay) =>
      `<label class="choice"><input type="radio" name="after" value="${delay}"${delay === DEFAULT_DELAY ? ' checked' : ''}> ${esc(m.remind.option(delay))}</label>`,
  );
  return `<h3>${esc(m.remind.heading)}</h3>
<form class="remind" method="post" action="${esc(action)}">
<fieldset>
<legend>${esc(m.remind.legend)}</legend>
<div class="choices">${choices.join('')}</div>
</fieldset>
<button class="button secondary" type="submit">${esc(m.remind.submit)}</button>
</form>`;
}

function alertsSection(m: UsageMessages, alerts: UsagePageData['alerts']): string {
  const text = alerts.enabled ? m.alerts.on({ email: alerts.email, thresholds: alerts.thresholds }) : m.alerts.off;
  return `<section class="card" aria-labelledby="alerts-heading">
<h2 id="alerts-heading">${esc(m.alerts.heading)}</h2>
<p>${esc(text)}</p>
</section>`;
}

const STYLES = `
:root{color-scheme:light;--ink:#111827;--muted:#4b5563;--line:#e5e7eb;--bg:#f3f4f6;--accent:#1d4ed8;--bar:#2563eb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-text-size-adjust:100%}
p{margin:0}
.page{max-width:960px;margin:0 auto;padding:24px 16px 48px;display:grid;gap:16px}
.masthead{display:grid;gap:4px;padding:0 4px}
h1{font-size:1.75rem;line-height:1.2;margin:0;letter-spacing:-.01em}
h2{font-size:1.125rem;line-height:1.3;margin:0 0 12px}
h3{font-size:1rem;margin:24px 0 12px}
.muted{color:var(--muted)}
.small{font-size:.875rem}
.card{background:#fff;border:1px solid var(--line);border-radius:12px;padding:20px 16px;min-width:0}
.card>p+p{margin-top:8px}
.card-head{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:4px 16px;margin-bottom:4px}
.card-head h2{margin:0}
.notice{background:#ecfdf5;border:1px solid #6ee7b7;color:#065f46;border-radius:12px;padding:12px 16px;font-weight:500}
.balance{background:#1e3a8a;border-color:#1e3a8a;color:#fff}
.balance h2{font-size:.875rem;text-transform:uppercase;letter-spacing:.06em;color:#dbeafe;margin-bottom:4px}
.balance .amount{font-size:2.75rem;font-weight:700;line-height:1.1;letter-spacing:-.02em;font-variant-numeric:tabular-nums;margin:0}
.balance .unit{font-size:1.125rem;font-weight:500;letter-spacing:0}
.balance .as-of{color:#dbeafe;font-size:.875rem;margin-top:4px}
.balance .held{color:#dbeafe;font-size:.875rem;margin-top:4px}
.balance .runway{margin-top:16px;padding-top:12px;border-top:1px solid #3b5bb5;font-weight:500}
.total{font-weight:600;margin-bottom:16px}
.chart{margin:0;display:grid;grid-template-columns:auto minmax(0,1fr);column-gap:8px}
.chart svg{display:block;width:100%;height:180px;overflow:visible}
.y-axis{display:flex;flex-direction:column;justify-content:space-between;align-items:flex-end;margin:-.5em 0;font-size:.75rem;line-height:1;color:var(--muted);font-variant-numeric:tabular-nums}
.x-axis{grid-column:2;display:flex;justify-content:space-between;font-size:.75rem;color:var(--muted);margin-top:6px}
.grid line{stroke:var(--line);stroke-width:1;vector-effect:non-scaling-stroke}
.grid line.base{stroke:#9ca3af}
.bars rect{fill:var(--bar)}
.bars rect:hover{fill:#1e40af}
.empty{border:1px dashed #d1d5db;border-radius:8px;padding:24px 16px;text-align:center;display:grid;gap:4px}
.columns{display:grid;gap:16px;min-width:0}
table.data{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.9375rem}
.data th,.data td{text-align:left;padding:10px 6px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
.data thead th{font-size:.8125rem;font-weight:600;color:var(--muted);padding-top:0}
.data tbody th{font-weight:600}
.data tr>:first-child{padding-left:0}
.data tr>:last-child{padding-right:0}
.data .num{text-align:right;white-space:nowrap}
.meter{display:block;height:4px;background:var(--line);border-radius:2px;margin-top:6px;min-width:40px}
.meter span{display:block;height:100%;background:var(--bar);border-radius:2px}
.id{display:block;font:400 .75rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted)}
.options{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:12px}
.options.wide{grid-template-columns:repeat(auto-fit,minmax(min(100%,220px),1fr))}
.option{border:1px solid var(--line);border-radius:10px;padding:12px;display:flex;flex-direction:column;gap:4px}
.option-title{font-weight:700}
.price{font-size:1.25rem;font-weight:600;font-variant-numeric:tabular-nums}
.per{font-size:.875rem;font-weight:400;color:var(--muted)}
.option .button,.option .badge{margin-top:auto}
.option .muted{margin-bottom:12px}
.options+p{margin-top:8px}
.button{display:inline-flex;align-items:center;justify-content:center;min-height:44px;padding:8px 16px;border-radius:8px;border:1px solid var(--accent);background:var(--accent);color:#fff;font:inherit;font-weight:600;text-decoration:none;text-align:center;cursor:pointer}
.button:hover{background:#1e40af}
.button.secondary{background:#fff;color:var(--accent)}
.button.secondary:hover{background:#eff6ff}
.badge{align-self:flex-start;padding:4px 10px;border-radius:999px;background:#e0e7ff;color:#3730a3;font-size:.875rem;font-weight:600}
fieldset{border:0;margin:0 0 12px;padding:0;min-width:0}
legend{padding:0;margin-bottom:8px}
.choices{display:flex;flex-wrap:wrap;gap:8px}
.choice{display:inline-flex;align-items:center;gap:8px;min-height:44px;padding:8px 14px;border:1px solid #9ca3af;border-radius:999px;cursor:pointer}
.choice:has(input:checked){border-color:var(--accent);background:#eff6ff;color:#1e3a8a;font-weight:600}
input[type=radio]{accent-color:var(--accent);margin:0;width:18px;height:18px}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}
footer{padding:0 4px}
.visually-hidden{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
@media (min-width:720px){
.page{padding:40px 24px 64px;gap:20px}
h1{font-size:2rem}
.card{padding:24px}
.columns{grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:20px}
.chart svg{height:220px}
.balance .amount{font-size:3.25rem}
}
`;

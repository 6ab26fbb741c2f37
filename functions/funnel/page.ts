import { escapeHtml as esc } from '../http/response.ts';
import { REPORT_STAGES } from './episode.ts';
import { GROUP_BY, type GroupBy, type RecoveryReport, type ReportGroup } from './report.ts';

export interface ReportPageInput {
  groupBy: GroupBy;
  /** The report grouped as asked (the table). */
  report: RecoveryReport;
  /** The same window ungrouped (the funnel chart). */
  total: ReportGroup;
  /** The page itself for each grouping (same window, same link). */
  hrefFor: (groupBy: GroupBy) => string;
}

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)} %`);
const hours = (value: number | null) => (value === null ? '—' : `${value} h`);

/**
 * The recovery report page: an SVG funnel of the whole window and the table by group, with the
 * numbers of `GET /v1/reports/recovery` as they are. Self-contained (inline styles and SVG, no
 * script), so it works under the strict CSP of every Tollgate page. Pure.
 */
export function renderReportPage(input: ReportPageInput): string {
  const { report, total } = input;
  const title = `Recovery report ${report.from} – ${report.to}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title></head>
<body style="font-family:system-ui,sans-serif;color:#111827;max-width:1100px;margin:24px auto;padding:0 16px;line-height:1.5"><main>
<h1 style="font-size:22px">${esc(title)}</h1>
<p>${total.episodes} episodes hit the wall; ${total.pending} are still pending (unpaid, under 48 h). Recovered within 48 h: <strong>${total.recovered}</strong> (${percent(total.recoveryRate)}${
    total.ci95 ? `, 95 % CI ${percent(total.ci95[0])} – ${percent(total.ci95[1])}` : ''
  }).</p>
${funnelChart(total)}
<nav aria-label="Group by"><p>Group by: ${GROUP_BY.map((option) =>
    option === input.groupBy ? `<strong aria-current="page">${option}</strong>` : `<a href="${esc(input.hrefFor(option))}">${option}</a>`,
  ).join(' · ')}</p></nav>
${groupTable(report.groups, input.groupBy)}
</main></body></html>`;
}

const BAR_HEIGHT = 28;
const LABEL_WIDTH = 150;
const CHART_WIDTH = 720;

/** One horizontal bar per stage (and `recovered`), each as long as its share of the walls. */
function funnelChart(total: ReportGroup): string {
  const rows: [string, number][] = [...REPORT_STAGES.map((stage) => [stage, total.stages[stage]] as [string, number]), ['recovered', total.recovered]];
  const barSpace = CHART_WIDTH - LABEL_WIDTH - 60;
  const widest = Math.max(1, total.stages.wall);
  const height = rows.length * (BAR_HEIGHT + 6);
  const bars = rows
    .map(([name, count], i) => {
      const y = i * (BAR_HEIGHT + 6);
      const width = Math.round((count / widest) * barSpace);
      return `<g data-stage="${name}"><text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT / 2 + 5}" text-anchor="end" font-size="14">${name}</text><rect x="${LABEL_WIDTH}" y="${y}" width="${width}" height="${BAR_HEIGHT}" fill="${name === 'recovered' ? '#15803d' : '#1d4ed8'}"/><text x="${LABEL_WIDTH + width + 6}" y="${y + BAR_HEIGHT / 2 + 5}" font-size="14">${count}</text></g>`;
    })
    .join('');
  return `<svg role="img" aria-label="Recovery funnel: episodes reaching each stage" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" style="max-width:100%;height:auto">${bars}</svg>`;
}

function groupTable(groups: readonly ReportGroup[], groupBy: GroupBy): string {
  const withP = groupBy === 'variant';
  const headers = [
    'Group',
    'Episodes',
    'Pending',
    'Recovered',
    'Recovery rate',
    '95 % CI',
    'Median to recover',
    'Revenue recovered',
    ...REPORT_STAGES,
    ...(withP ? ['p vs base'] : []),
  ];
  const cell = (text: string, name: string) => `<td data-field="${name}" style="padding:4px 8px;border-top:1px solid #e5e7eb">${esc(text)}</td>`;
  const rows = groups
    .map((group) =>
      [
        `<tr data-key="${esc(group.key)}">`,
        cell(group.key, 'key'),
        cell(String(group.episodes), 'episodes'),
        cell(String(group.pending), 'pending'),
        cell(String(group.recovered), 'recovered'),
        cell(percent(group.recoveryRate), 'recoveryRate'),
        cell(group.ci95 ? `${percent(group.ci95[0])} – ${percent(group.ci95[1])}` : '—', 'ci95'),
        cell(hours(group.medianHoursToRecover), 'medianHoursToRecover'),
        cell(group.revenueRecovered.map((money) => `${money.amount} ${money.currency}`).join(', ') || '—', 'revenueRecovered'),
        ...REPORT_STAGES.map((stage) => cell(String(group.stages[stage]), stage)),
        ...(withP ? [cell(group.pValue === null || group.pValue === undefined ? '—' : String(group.pValue), 'pValue')] : []),
        '</tr>',
      ].join(''),
    )
    .join('');
  return `<table style="border-collapse:collapse;font-size:14px"><caption style="text-align:left;font-weight:600">By ${esc(groupBy)}</caption><thead><tr>${headers
    .map((header) => `<th scope="col" style="text-align:left;padding:4px 8px">${esc(header)}</th>`)
    .join('')}</tr></thead><tbody>${rows || `<tr><td colspan="${headers.length}">No episodes in this window.</td></tr>`}</tbody></table>`;
}

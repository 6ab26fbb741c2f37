import type { Copy } from '../copy/render.ts';

/** The delays the "Remind me later" form offers, as ISO-8601 durations. */
export const REMINDER_DELAYS = ['PT4H', 'P1D', 'P3D', 'P7D'] as const;
export type ReminderDelay = (typeof REMINDER_DELAYS)[number];

/**
 * The usage page's words, from the catalogue in the reader's locale, shaped the way the page
 * uses them. Dates are shown in UTC, the zone the usage is counted in.
 */
export function usageMessages({ t, format }: Copy) {
  return {
    format,
    title: (p: { account: string }) => t('usage.title', p),
    heading: t('usage.heading'),
    accountLine: (p: { account: string; plan: string }) => t('usage.accountLine', p),
    balance: {
      heading: t('usage.balance.heading'),
      unit: (value: number) => format.unitWord('credit', value),
      asOf: (p: { asOf: string }) => t('usage.balance.asOf', p),
      held: (p: { held: number }) => t('usage.balance.held', p),
      runway: (days: number) => (days < 1 ? t('usage.balance.underADay') : t('usage.balance.runway', { days: Math.round(days) })),
    },
    chart: {
      heading: t('usage.chart.heading'),
      period: (p: { from: string; to: string }) => t('usage.chart.period', p),
      total: (total: number) => t('usage.chart.total', { total }),
      summary: (p: { from: string; to: string; total: number; peakDay: string; peak: number }) => t('usage.chart.summary', p),
      bar: (p: { day: string; credits: number }) => t('usage.chart.bar', p),
      tableCaption: t('usage.chart.tableCaption'),
      date: t('usage.chart.date'),
      credits: t('usage.chart.credits'),
      empty: (p: { from: string; to: string }) => t('usage.chart.empty', p),
      emptyHint: t('usage.chart.emptyHint'),
    },
    breakdown: {
      heading: t('usage.breakdown.heading'),
      operation: t('usage.breakdown.operation'),
      requests: t('usage.breakdown.requests'),
      credits: t('usage.breakdown.credits'),
      share: t('usage.breakdown.share'),
      percent: (share: number) => format.percent(Math.round(share * 100)),
      empty: t('usage.breakdown.empty'),
    },
    biggest: {
      heading: t('usage.biggest.heading'),
      operation: t('usage.biggest.operation'),
      credits: t('usage.biggest.credits'),
      at: t('usage.biggest.at'),
      queryId: t('usage.biggest.queryId'),
      empty: t('usage.biggest.empty'),
    },
    forward: { heading: t('usage.forward.heading'), intro: t('usage.forward.intro') },
    topUps: {
      heading: t('usage.topUps.heading'),
      credits: format.credits,
      price: format.money,
      perCredit: (p: { amount: string; currency: string; credits: number }) => t('usage.topUps.perCredit', { price: format.perCredit(p, p.credits) }),
      buy: { visible: t('usage.topUps.buy'), hidden: (value: number) => ` ${format.credits(value)}` },
      note: t('usage.topUps.note'),
    },
    plans: {
      heading: t('usage.plans.heading'),
      perMonth: (credits: number) => t('usage.plans.perMonth', { credits }),
      price: format.money,
      per: t('usage.plans.per'),
      rollover: t('usage.plans.rollover'),
      current: t('usage.plans.current'),
      choose: (plan: string) => t('usage.plans.choose', { plan }),
    },
    remind: {
      heading: t('usage.remind.heading'),
      legend: t('usage.remind.legend'),
      option: (delay: ReminderDelay) => t(`usage.remind.option.${delay}`),
      submit: t('usage.remind.submit'),
    },
    alerts: {
      heading: t('usage.alerts.heading'),
      on: (p: { email: string; thresholds: number[] }) =>
        t('usage.alerts.on', { email: p.email, thresholds: format.list(p.thresholds.map((value) => format.percent(value))) }),
      off: t('usage.alerts.off'),
    },
    footer: t('usage.footer'),
  };
}

export type UsageMessages = ReturnType<typeof usageMessages>;

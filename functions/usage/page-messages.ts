/**
 * Every word of the customer-facing usage page, in one place, with the formatting of numbers,
 * money and dates it shows. Plain language: what you have, where it went, what you can do.
 * Dates are shown in UTC, the zone the usage is counted in.
 */
const n = (value: number) => value.toLocaleString('en-US');
const credits = (value: number) => `${n(value)} ${value === 1 ? 'credit' : 'credits'}`;
const utc = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', ...options });
const dayMonth = utc({ day: 'numeric', month: 'short' });
const dayMonthYear = utc({ day: 'numeric', month: 'short', year: 'numeric' });
const dateTime = utc({ day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dayTime = utc({ day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const money = (p: { amount: string; currency: string }) => new Intl.NumberFormat('en-US', { style: 'currency', currency: p.currency }).format(Number(p.amount));
const perCredit = (p: { amount: string; currency: string; credits: number }) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: p.currency, maximumSignificantDigits: 3 }).format(Number(p.amount) / p.credits);
const list = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

export const pageMessages = {
  format: {
    credits,
    number: n,
    day: (date: Date) => dayMonth.format(date),
    date: (date: Date) => dayMonthYear.format(date),
    dateTime: (date: Date) => `${dateTime.format(date)} UTC`,
    dayTime: (date: Date) => dayTime.format(date),
  },
  title: (p: { account: string }) => `Usage · ${p.account}`,
  heading: 'Your usage',
  accountLine: (p: { account: string; plan: string }) => `${p.account} · ${p.plan} plan`,
  balance: {
    heading: 'Available balance',
    unit: (value: number) => (value === 1 ? 'credit' : 'credits'),
    asOf: (p: { asOf: string }) => `as of ${p.asOf}`,
    runway: (days: number) =>
      days < 1
        ? 'At your pace of the last 7 days, less than a day left.'
        : `At your pace of the last 7 days, about ${n(Math.round(days))} ${Math.round(days) === 1 ? 'day' : 'days'} left.`,
  },
  chart: {
    heading: 'Daily credit use',
    period: (p: { from: string; to: string }) => `${p.from} – ${p.to}`,
    total: (total: number) => `${credits(total)} used in this period`,
    summary: (p: { from: string; to: string; total: number; peakDay: string; peak: number }) =>
      `Bar chart of credits used per day from ${p.from} to ${p.to}: ${credits(p.total)} in total; the busiest day was ${p.peakDay} with ${credits(p.peak)}.`,
    bar: (p: { day: string; credits: number }) => `${p.day}: ${credits(p.credits)}`,
    tableCaption: 'Credits used per day',
    date: 'Day',
    credits: 'Credits',
    empty: (p: { from: string; to: string }) => `No credits used between ${p.from} and ${p.to}.`,
    emptyHint: 'Once you run metered requests, each day’s use shows up here.',
  },
  breakdown: {
    heading: 'Where your credits went',
    operation: 'Operation',
    requests: 'Requests',
    credits: 'Credits',
    share: 'Share',
    percent: (share: number) => `${Math.round(share * 100)}%`,
    empty: 'Nothing to break down yet.',
  },
  biggest: {
    heading: 'Biggest recent queries',
    operation: 'Query',
    credits: 'Credits',
    at: 'When (UTC)',
    queryId: 'Query ID',
    empty: 'No metered queries yet.',
  },
  forward: {
    heading: 'Keep going',
    intro: 'Add credits now, move to a plan whose unused credits roll over, or come back to it later.',
  },
  topUps: {
    heading: 'Add credits',
    credits: (value: number) => credits(value),
    price: money,
    perCredit: (p: { amount: string; currency: string; credits: number }) => `${perCredit(p)} per credit`,
    buy: { visible: 'Buy', hidden: (value: number) => ` ${credits(value)}` },
    note: 'Purchased credits never expire.',
  },
  plans: {
    heading: 'Plans with rollover',
    perMonth: (value: number) => `${credits(value)} a month`,
    price: money,
    per: '/ month',
    rollover: 'Unused credits carry over, up to one month’s grant.',
    current: 'Your plan',
    choose: (name: string) => `Switch to ${name}`,
  },
  remind: {
    heading: 'Remind me later',
    legend: 'Email me about my balance in',
    options: { PT4H: '4 hours', P1D: '1 day', P3D: '3 days', P7D: '1 week' },
    submit: 'Remind me later',
  },
  alerts: {
    heading: 'Balance alerts',
    on: (p: { email: string; thresholds: number[] }) =>
      `On. We email ${p.email} when your balance falls to ${list(p.thresholds.map((t) => `${t}%`))} of your last top-up.`,
    off: 'Off. We won’t email you when your balance runs low.',
  },
  footer: 'Days are counted in UTC. Refunded requests cost nothing and are left out.',
} as const;

export type ReminderDelay = keyof typeof pageMessages.remind.options;

/**
 * Every word of the alert emails, in one place. Written the way a helpful person would write
 * them: what happened, what it means, what you can do — no jargon, no blame.
 */
const n = (value: number) => value.toLocaleString('en-US');
const credits = (value: number) => `${n(value)} ${value === 1 ? 'credit' : 'credits'}`;

export const emailMessages = {
  threshold: {
    subject: (p: { percent: number; balance: number }) => `Heads up: ${credits(p.balance)} left (${p.percent}% of your last top-up)`,
    intro: (p: { name: string; percent: number; balance: number }) =>
      `Hi ${p.name}, a quick heads-up: your balance just dropped to ${credits(p.balance)}, ${p.percent}% of what you had after your last top-up. Nothing has stopped — we're telling you now so nothing stops later.`,
  },
  depletion: {
    subject: (p: { operation: string; shortfall: number }) => `Your ${p.operation} is waiting — ${credits(p.shortfall)} short`,
    intro: (p: { name: string; operation: string; required: number; balance: number }) =>
      `Hi ${p.name}, your ${p.operation} needs ${credits(p.required)} and your balance is ${credits(p.balance)}, so we couldn't run it. It isn't lost: we've kept it, and it can run as soon as your balance covers it.`,
    resume: (p: { expiresAt: string }) => `Resume the waiting query (kept until ${p.expiresAt})`,
  },
  /** An admin debit refused for credits: nothing was charged and, unlike a query, nothing was kept to resume. */
  refused: {
    subject: (p: { operation: string; shortfall: number }) => `A charge for ${p.operation} was refused — ${credits(p.shortfall)} short`,
    intro: (p: { name: string; operation: string; required: number; balance: number }) =>
      `Hi ${p.name}, a charge of ${credits(p.required)} for ${p.operation} was refused because your balance is ${credits(p.balance)}. Nothing was charged, and nothing is waiting to run: once your balance covers it, the ${p.operation} has to be sent again.`,
  },
  reminder: {
    subject: (p: { balance: number }) => `Your reminder: ${credits(p.balance)} left`,
    intro: (p: { name: string; balance: number }) =>
      `Hi ${p.name}, you asked us to remind you about your credits, so here we are. Your balance is ${credits(p.balance)}; everything you need to keep going is below.`,
  },
  resumed: {
    subject: (p: { count: number }) => `We ran ${p.count === 1 ? 'your waiting query' : `your ${p.count} waiting queries`}`,
    intro: (p: { name: string; count: number }) =>
      `Hi ${p.name}, thanks for topping up. As you asked, we ran ${p.count === 1 ? 'the query that was waiting' : `the ${p.count} queries that were waiting`} for credits, oldest first:`,
    line: (p: { operation: string; credits: number; ok: boolean }) =>
      p.ok ? `${p.operation}: done, ${credits(p.credits)}` : `${p.operation}: failed on our side, not charged`,
  },
  receipt: {
    subject: (p: { purchase: string }) => `Receipt: ${p.purchase}`,
    intro: (p: { name: string; purchase: string }) =>
      `Hi ${p.name}, thank you — your payment went through: ${p.purchase}. The credits are in your balance now.`,
    ran: 'The query that was waiting for them ran:',
    plan: (p: { name: string; monthlyCredits: number; amount: string; currency: string }) =>
      `the ${p.name} plan, ${credits(p.monthlyCredits)} for this period, for ${p.amount} ${p.currency}`,
  },
  balanceLine: (p: { balance: number; asOf: string }) => `Balance: ${credits(p.balance)} as of ${p.asOf}.`,
  usageHeading: (p: { since: string; total: number }) => `Where your credits went since your last top-up (${p.since}): ${credits(p.total)}`,
  usageLine: (p: { operation: string; count: number; credits: number }) =>
    `${p.operation}: ${credits(p.credits)} over ${n(p.count)} ${p.count === 1 ? 'request' : 'requests'}`,
  noUsage: 'No metered requests since your last top-up.',
  runway: (days: number) =>
    days < 1
      ? 'At your pace of the last 7 days, that lasts less than a day.'
      : `At your pace of the last 7 days, that's about ${n(Math.round(days))} ${Math.round(days) === 1 ? 'day' : 'days'} left.`,
  topUpHeading: 'Add credits',
  topUpOption: (p: { credits: number; amount: string; currency: string }) => `${credits(p.credits)} for ${p.amount} ${p.currency}`,
  planHeading: 'Or switch to a plan whose unused credits roll over',
  planOption: (p: { name: string; monthlyCredits: number; amount: string; currency: string }) =>
    `${p.name}: ${credits(p.monthlyCredits)} a month for ${p.amount} ${p.currency}, unused credits carry over`,
  viewUsage: 'See my usage',
  remindLater: 'Remind me later',
  unsubscribe: 'Stop these emails',
  footer: 'You get this email because balance alerts are on for your account. One click on "Stop these emails" turns them off.',
} as const;

/**
 * Every piece of customer-facing copy in the recovery answer lives here, so tone stays
 * consistent and changes in one place. Written like a person talking, not a bureaucrat.
 */
const credits = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'credit' : 'credits'}`;

export const messages = {
  insufficientCredits: {
    title: "Looks like you're out of credits — were you expecting more?",
    detail: (p: { operation?: string; required: number; available: number; parked: boolean }) =>
      [
        `${p.operation ? `This ${p.operation}` : 'This request'} needs ${credits(p.required)} and you have ${credits(p.available)} left, so it's ${credits(p.required - p.available)} short.`,
        'Credits often go faster than expected — before adding more, you can see exactly where they went.',
        p.parked ? "We've kept your query, so nothing is lost: resume it once your balance covers it." : 'Nothing was charged.',
      ].join(' '),
    /** Kept for clients written against the old `{"error","message"}` answer. */
    legacyError: 'InsufficientBalance',
  },
  /** Only ever built from real episodes with a large enough sample (see social-proof.ts). */
  socialProof: (p: { percent: number; planName: string; recoveryHours: number; sample: number; windowDays: number }) =>
    `${p.percent}% of customers on the ${p.planName} plan who ran out topped up within ${p.recoveryHours} hours and kept working (${p.sample.toLocaleString('en-US')} cases in the last ${p.windowDays} days).`,
  actions: {
    view_usage: 'See where your credits went',
    top_up: (shortfall: number) => `Add credits (you are ${credits(shortfall)} short)`,
    change_plan: 'Switch to a plan whose unused credits roll over',
    remind_later: 'Remind me later',
    resume: 'Run this query once your balance covers it',
  },
} as const;

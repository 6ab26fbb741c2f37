/** One depletion episode: a customer ran out (first refused query) and maybe topped up after. */
export interface DepletionEpisode {
  startedAt: string;
  recoveredAt?: string;
}

export interface SocialProof {
  plan: string;
  /** Share of episodes followed by a top-up within the recovery window, in whole percent. */
  percent: number;
  sample: number;
  recoveryHours: typeof RECOVERY_HOURS;
  windowDays: typeof WINDOW_DAYS;
}

export const RECOVERY_HOURS = 48;
export const WINDOW_DAYS = 30;

/** Episodes old enough to know their outcome: started in the window, at least the recovery time ago. */
export function decidedRange(now: Date): { from: string; to: string } {
  const to = new Date(now.getTime() - RECOVERY_HOURS * 3_600_000);
  return { from: new Date(to.getTime() - WINDOW_DAYS * 86_400_000).toISOString(), to: to.toISOString() };
}

/**
 * "N % of customers on your plan who ran out topped up within 48 hours", from real episodes,
 * or nothing when the sample is smaller than `minSample`: no statistic beats a made-up one. Pure.
 */
export function recoveryRate(plan: string, episodes: DepletionEpisode[], now: Date, minSample: number): SocialProof | undefined {
  const { from, to } = decidedRange(now);
  const decided = episodes.filter((e) => e.startedAt >= from && e.startedAt < to);
  if (decided.length === 0 || decided.length < minSample) return undefined;
  const recovered = decided.filter((e) => e.recoveredAt && Date.parse(e.recoveredAt) - Date.parse(e.startedAt) <= RECOVERY_HOURS * 3_600_000).length;
  return { plan, percent: Math.round((100 * recovered) / decided.length), sample: decided.length, recoveryHours: RECOVERY_HOURS, windowDays: WINDOW_DAYS };
}

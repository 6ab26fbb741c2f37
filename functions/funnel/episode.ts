/**
 * The recovery funnel of one depletion episode, as pure data: what happened and when, and what
 * each change adds to the per-day counters. An episode runs from the first refusal (the wall) in
 * an alert episode to the top-up or plan grant that ends it. Facts are set once and never change,
 * and an episode only ever joins groups, so the counters an episode contributes are a function of
 * its state: moving from one state to the next adds exactly the facts and groups that are new.
 */

/** Stages the report counts, in funnel order. */
export const REPORT_STAGES = ['wall', 'warned', 'usageViewed', 'reminderSet', 'checkoutStarted', 'paid', 'resumed'] as const;
/** Every stage recorded on an episode: the report's, and the two outcomes. */
export const STAGES = [...REPORT_STAGES, 'recovered', 'lapsed'] as const;
export type Stage = (typeof STAGES)[number];
/** What the customer did after the wall; `groupBy=action` groups by these. */
export const ACTIONS = ['usageViewed', 'reminderSet', 'checkoutStarted'] as const;
export type Action = (typeof ACTIONS)[number];

/** Paid within this long after the wall: recovered. */
export const RECOVERY_WINDOW_MS = 48 * 3_600_000;
/** No payment within this long after the wall: lapsed. */
export const LAPSE_WINDOW_MS = 30 * 86_400_000;

export type StageTimes = Partial<Record<`${Stage}At`, string>>;

export interface FunnelEpisode extends StageTimes {
  accountId: string;
  /** The alert episode (`baselineSeq`) the wall happened in. */
  seq: number;
  /** Optimistic lock: every write of the episode and its counters is conditioned on it. */
  version: number;
  plan?: string;
  locale?: string;
  /** The copy variant the episode's customer saw (recorded by the copy catalogue on the alert episode). */
  variant?: string;
  /** When the top-up or grant that ended the episode happened, paid or not. */
  endedAt?: string;
  /** The txn of the payment that ended it. */
  paidTxnId?: string;
  /** What was paid, in the currency's smallest unit, when the payment record says. */
  amount?: number;
  currency?: string;
}

/** What the stream and the request paths tell about an episode. */
export type FunnelFact =
  | { kind: 'wall'; at: string; plan: string; locale?: string; variant?: string; warnedAt?: string }
  | { kind: 'action'; stage: Action | 'resumed'; at: string }
  | { kind: 'end'; at: string; paid: boolean; txnId: string; amount?: number; currency?: string }
  | { kind: 'amount'; txnId: string; amount: number; currency: string }
  | { kind: 'lapsed'; now: string };

const ms = (iso: string) => Date.parse(iso);

/**
 * The episode after a fact, or `undefined` when the fact changes nothing (already known, too
 * early, or about a payment that did not end this episode). Facts may arrive in any order
 * (stream shards, redelivery); the wall may come last. Pure.
 */
export function applyFact(episode: FunnelEpisode, fact: FunnelFact): FunnelEpisode | undefined {
  const next = apply(episode, normalized(fact));
  return next && JSON.stringify(withRecovery(next)) !== JSON.stringify(episode) ? withRecovery(next) : undefined;
}

function apply(episode: FunnelEpisode, fact: FunnelFact): FunnelEpisode | undefined {
  switch (fact.kind) {
    case 'wall': {
      const variant = episode.variant ?? fact.variant;
      if (episode.wallAt) return { ...episode, variant };
      // The threshold email was recorded before the wall was; the consumer may have sent it a little after the refusal itself.
      const warned = fact.warnedAt ? { warnedAt: [fact.warnedAt, fact.at].sort()[0] } : {};
      return { ...episode, wallAt: fact.at, plan: fact.plan, locale: fact.locale, variant, ...warned };
    }
    case 'action': {
      const field = `${fact.stage}At` as const;
      // Only what happened after the wall; an action is told once, at its first time.
      if (!episode.wallAt || fact.at < episode.wallAt || episode[field]) return undefined;
      if (fact.stage !== 'resumed' && episode.endedAt && fact.at >= episode.endedAt) return undefined;
      return { ...episode, [field]: fact.at };
    }
    case 'end': {
      if (episode.endedAt) return undefined;
      const paid = fact.paid ? { paidAt: fact.at, paidTxnId: fact.txnId, amount: fact.amount, currency: fact.currency?.toUpperCase() } : {};
      return { ...episode, endedAt: fact.at, ...paid };
    }
    case 'amount': {
      if (episode.paidTxnId !== fact.txnId || episode.amount !== undefined) return undefined;
      return { ...episode, amount: fact.amount, currency: fact.currency.toUpperCase() };
    }
    case 'lapsed': {
      if (!episode.wallAt || episode.lapsedAt) return undefined;
      const deadline = ms(episode.wallAt) + LAPSE_WINDOW_MS;
      const paidInTime = episode.paidAt !== undefined && ms(episode.paidAt) <= deadline;
      if (paidInTime || ms(fact.now) < deadline) return undefined;
      return { ...episode, lapsedAt: new Date(deadline).toISOString() };
    }
  }
}

/** Instants as `toISOString()` writes them, so that stored times compare as strings (and sort in key order). */
function normalized(fact: FunnelFact): FunnelFact {
  const iso = (instant: string) => new Date(instant).toISOString();
  if (fact.kind === 'wall') return { ...fact, at: iso(fact.at), warnedAt: fact.warnedAt && iso(fact.warnedAt) };
  if (fact.kind === 'lapsed') return { ...fact, now: iso(fact.now) };
  if (fact.kind === 'amount') return fact;
  return { ...fact, at: iso(fact.at) };
}

/** Recovered: paid within 48 h of the wall (recorded with the payment's time). */
function withRecovery(episode: FunnelEpisode): FunnelEpisode {
  if (episode.recoveredAt || !episode.wallAt || !episode.paidAt) return episode;
  return ms(episode.paidAt) - ms(episode.wallAt) <= RECOVERY_WINDOW_MS ? { ...episode, recoveredAt: episode.paidAt } : episode;
}

/** Minutes from the wall to a recovering payment, whole minutes (the median's resolution). */
export function minutesToRecover(episode: Pick<FunnelEpisode, 'wallAt' | 'recoveredAt'>): number | undefined {
  if (!episode.wallAt || !episode.recoveredAt) return undefined;
  return Math.round((ms(episode.recoveredAt) - ms(episode.wallAt)) / 60_000);
}

/** A counter group: a dimension and its value (`all`/`-` for the whole). */
export interface Group {
  dimension: 'all' | 'plan' | 'locale' | 'variant' | 'action';
  value: string;
}

/** Episodes without a recorded locale are counted under this value. */
export const NO_LOCALE = 'unset';
/** `action` group of episodes that took any action (the report derives "none" as all minus these). */
export const ANY_ACTION = 'any';

/** The groups an episode counts in: all, its plan and locale, its variant when known, and each action it took. */
export function groupsOf(episode: FunnelEpisode): Group[] {
  if (!episode.wallAt) return [];
  const groups: Group[] = [
    { dimension: 'all', value: '-' },
    { dimension: 'plan', value: episode.plan ?? '-' },
    { dimension: 'locale', value: episode.locale ?? NO_LOCALE },
  ];
  if (episode.variant) groups.push({ dimension: 'variant', value: episode.variant });
  const actions = ACTIONS.filter((action) => episode[`${action}At`]);
  for (const action of actions) groups.push({ dimension: 'action', value: action });
  if (actions.length > 0) groups.push({ dimension: 'action', value: ANY_ACTION });
  return groups;
}

/** Counter attributes: one per stage reached, revenue per currency (recovered only), and the minutes-to-recover histogram. */
export function countsOf(episode: FunnelEpisode): Map<string, number> {
  const counts = new Map<string, number>();
  if (!episode.wallAt) return counts;
  for (const stage of STAGES) if (episode[`${stage}At`]) counts.set(stage, 1);
  const minutes = minutesToRecover(episode);
  if (minutes !== undefined) counts.set(`${HISTOGRAM_PREFIX}${minutes}`, 1);
  if (episode.recoveredAt && episode.amount !== undefined && episode.currency) counts.set(`${REVENUE_PREFIX}${episode.currency}`, episode.amount);
  return counts;
}

export const HISTOGRAM_PREFIX = 'rm_';
export const REVENUE_PREFIX = 'rev_';

export const groupKey = (group: Group) => `${group.dimension}#${group.value}`;
/** The UTC day of an instant: counters and the wall lists are kept per day of the wall. */
export const dayOf = (iso: string) => iso.slice(0, 10);

export interface CounterDelta {
  group: Group;
  day: string;
  add: Record<string, number>;
}

/**
 * What moving an episode from `before` to `after` adds to the counters: in every group the
 * episode is in after the change, each count it has now and did not have in that group before.
 * Counting is by the wall's day. Pure.
 */
export function counterDeltas(before: FunnelEpisode | undefined, after: FunnelEpisode): CounterDelta[] {
  if (!after.wallAt) return [];
  const day = dayOf(after.wallAt);
  const oldGroups = new Set(before ? groupsOf(before).map(groupKey) : []);
  const oldCounts = before ? countsOf(before) : new Map<string, number>();
  const newCounts = countsOf(after);
  const deltas: CounterDelta[] = [];
  for (const group of groupsOf(after)) {
    const known = oldGroups.has(groupKey(group));
    const add: Record<string, number> = {};
    for (const [name, value] of newCounts) if (!known || !oldCounts.has(name)) add[name] = value;
    if (Object.keys(add).length > 0) deltas.push({ group, day, add });
  }
  return deltas;
}

/** Stages an episode reached in this change (for metrics). */
export function newStages(before: FunnelEpisode | undefined, after: FunnelEpisode): Stage[] {
  return STAGES.filter((stage) => after[`${stage}At`] && !before?.[`${stage}At`]);
}

import { fromMinorUnits } from '../payments/money.ts';
import { ANY_ACTION, dayOf, HISTOGRAM_PREFIX, RECOVERY_WINDOW_MS, REPORT_STAGES, REVENUE_PREFIX } from './episode.ts';
import { histogramMedian, twoProportionPValue, wilsonInterval } from './stats.ts';

export const GROUP_BY = ['none', 'plan', 'variant', 'locale', 'action', 'week'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** The counter dimension each grouping reads (weeks are summed from the days of the whole). */
export const dimensionOf = (groupBy: GroupBy) => (groupBy === 'none' || groupBy === 'week' ? 'all' : groupBy);

/** Episodes without a recorded copy variant saw the base copy; variants are compared with it. */
export const BASE_VARIANT = 'base';
/** Episodes in which the customer took none of the actions. */
export const NO_ACTION = 'none';

/** One per-day counter item: the counts of one group's episodes whose wall fell on that day. */
export interface CounterRow {
  dimension: string;
  day: string;
  value: string;
  counts: Record<string, number>;
}

/** An episode of the recent days' wall lists: enough to tell whether its outcome is still pending. */
export interface WallRow {
  wallAt: string;
  paidAt?: string;
  /** `dimension#value` of every group the episode counts in. */
  groups: string[];
}

export interface ReportInput {
  /** First and last day (UTC, inclusive) of the walls counted. */
  from: string;
  to: string;
  groupBy: GroupBy;
  counters: readonly CounterRow[];
  walls: readonly WallRow[];
  now: Date;
}

export type Stages = Record<(typeof REPORT_STAGES)[number], number>;

export interface ReportGroup {
  key: string;
  episodes: number;
  pending: number;
  recovered: number;
  recoveryRate: number | null;
  ci95: [number, number] | null;
  medianHoursToRecover: number | null;
  revenueRecovered: { amount: string; currency: string }[];
  stages: Stages;
  /** `groupBy=variant`: two-sided p-value of this variant's recovery rate against the base copy's. */
  pValue?: number | null;
}

export interface RecoveryReport {
  from: string;
  to: string;
  groups: ReportGroup[];
}

interface Bag {
  counts: Map<string, number>;
  pending: number;
}

const emptyBag = (): Bag => ({ counts: new Map(), pending: 0 });

/**
 * The recovery report from per-day counters and the recent days' wall lists. Pending episodes
 * (unpaid, wall less than 48 h before `now`) are not decided yet, so the rate is over the rest. Pure.
 */
export function buildReport(input: ReportInput): RecoveryReport {
  const { groupBy, now } = input;
  const dimension = dimensionOf(groupBy);
  const keyOf = (day: string, value: string) => (groupBy === 'none' ? 'all' : groupBy === 'week' ? isoWeek(day) : value);
  const bags = new Map<string, Bag>();
  const bag = (key: string) => bags.get(key) ?? bags.set(key, emptyBag()).get(key) ?? emptyBag();
  const whole = emptyBag();
  const inWindow = (day: string) => day >= input.from && day <= input.to;

  for (const row of input.counters) {
    if (!inWindow(row.day)) continue;
    if (row.dimension === 'all') addCounts(whole, row.counts);
    if (row.dimension === dimension) addCounts(bag(keyOf(row.day, row.value)), row.counts);
  }
  const decidedBefore = now.getTime() - RECOVERY_WINDOW_MS;
  for (const wall of input.walls) {
    const day = dayOf(wall.wallAt);
    const paid = wall.paidAt !== undefined && wall.paidAt <= now.toISOString();
    if (!inWindow(day) || paid || Date.parse(wall.wallAt) <= decidedBefore || wall.wallAt > now.toISOString()) continue;
    whole.pending++;
    for (const group of wall.groups) {
      const [groupDimension, value = ''] = splitOnce(group);
      if (groupDimension === dimension) bag(keyOf(day, value)).pending++;
    }
  }
  if (groupBy === 'variant') addRemainder(bags, whole, BASE_VARIANT, [...bags.keys()]);
  if (groupBy === 'action') {
    const any = bags.get(ANY_ACTION) ?? emptyBag();
    bags.delete(ANY_ACTION);
    addRemainder(bags, whole, NO_ACTION, [], any);
  }
  if (groupBy === 'none' && bags.size === 0) bags.set('all', emptyBag());

  const groups = [...bags].sort(([a], [b]) => a.localeCompare(b)).map(([key, counts]) => groupOf(key, counts));
  if (groupBy === 'variant') {
    const base = groups.find((group) => group.key === BASE_VARIANT);
    for (const group of groups) {
      group.pValue = base && group !== base ? roundSignificant(pValueAgainst(group, base)) : null;
    }
  }
  return { from: input.from, to: input.to, groups };
}

/** Adds the episodes of the whole not counted in any of `subtracted` (or in `also`) as `key`, merged with an explicit group of that name. */
function addRemainder(bags: Map<string, Bag>, whole: Bag, key: string, subtracted: string[], also?: Bag): void {
  const remainder: Bag = { counts: new Map(whole.counts), pending: whole.pending };
  const parts = [...subtracted.filter((name) => name !== key).map((name) => bags.get(name) ?? emptyBag()), ...(also ? [also] : [])];
  for (const part of parts) {
    remainder.pending -= part.pending;
    for (const [name, value] of part.counts) remainder.counts.set(name, (remainder.counts.get(name) ?? 0) - value);
  }
  const existing = bags.get(key);
  if (existing) {
    existing.pending += remainder.pending;
    for (const [name, value] of remainder.counts) existing.counts.set(name, (existing.counts.get(name) ?? 0) + value);
  } else if ((remainder.counts.get('wall') ?? 0) > 0) {
    bags.set(key, remainder);
  }
}

function addCounts(bag: Bag, counts: Record<string, number>): void {
  for (const [name, value] of Object.entries(counts)) bag.counts.set(name, (bag.counts.get(name) ?? 0) + value);
}

function groupOf(key: string, bag: Bag): ReportGroup {
  const count = (name: string) => bag.counts.get(name) ?? 0;
  const episodes = count('wall');
  const recovered = count('recovered');
  const decided = episodes - bag.pending;
  const histogram = new Map<number, number>();
  const revenue: { amount: string; currency: string }[] = [];
  for (const [name, value] of bag.counts) {
    if (name.startsWith(HISTOGRAM_PREFIX)) histogram.set(Number(name.slice(HISTOGRAM_PREFIX.length)), value);
    if (name.startsWith(REVENUE_PREFIX) && value > 0) revenue.push(fromMinorUnits(value, name.slice(REVENUE_PREFIX.length)));
  }
  const medianMinutes = histogramMedian(histogram);
  const interval = wilsonInterval(recovered, decided);
  return {
    key,
    episodes,
    pending: bag.pending,
    recovered,
    recoveryRate: decided > 0 ? round(recovered / decided, 4) : null,
    ci95: interval ? [round(interval[0], 4), round(interval[1], 4)] : null,
    medianHoursToRecover: medianMinutes === null ? null : round(medianMinutes / 60, 2),
    revenueRecovered: revenue.sort((a, b) => a.currency.localeCompare(b.currency)),
    stages: Object.fromEntries(REPORT_STAGES.map((stage) => [stage, count(stage)])) as Stages,
  };
}

function pValueAgainst(group: ReportGroup, base: ReportGroup): number | null {
  return twoProportionPValue(group.recovered, group.episodes - group.pending, base.recovered, base.episodes - base.pending);
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const roundSignificant = (value: number | null) => (value === null ? null : Number(value.toPrecision(4)));

function splitOnce(group: string): [string, string] {
  const at = group.indexOf('#');
  return at < 0 ? [group, ''] : [group.slice(0, at), group.slice(at + 1)];
}

/** The ISO 8601 week of a day, e.g. `2026-W49` (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  const weekday = (date.getUTCDay() + 6) % 7;
  // The Thursday of the day's week decides the week's year and number.
  date.setUTCDate(date.getUTCDate() - weekday + 3);
  const year = date.getUTCFullYear();
  const week = 1 + Math.floor((date.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

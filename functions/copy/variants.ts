import { createHash } from 'node:crypto';
import type { Overrides } from './render.ts';

/** The base copy's name in an experiment: everyone not in a variant, and everyone when none runs. */
export const CONTROL = 'control';
export const MAX_VARIANTS = 4;

export interface Variant {
  /** Overrides of any set of keys, on top of the locale's overrides. */
  messages: Overrides;
  /** Percent of accounts (0–100) that get this variant; the variants' weights add up to at most 100, the rest get the base copy. */
  weight: number;
}

/** A locale's A/B experiment. A new `id` starts with each switch-on, so assignments start afresh. */
export interface Experiment {
  id: string;
  enabled: boolean;
  variants: Record<string, Variant>;
  by: string;
  at: string;
  /** Bumped on every change, so two operators saving at once cannot both win. */
  revision: number;
}

/**
 * An account's variant in an experiment: a stable hash of the experiment and the account picks a
 * point in 0–100, and the variants (by id) take consecutive slices as wide as their weights. Pure.
 */
export function assignVariant(accountId: string, experiment: Pick<Experiment, 'id' | 'enabled' | 'variants'>): string {
  if (!experiment.enabled) return CONTROL;
  const point = createHash('sha256').update(`${experiment.id}\n${accountId}`).digest().readUInt32BE(0) / 2 ** 32;
  let edge = 0;
  for (const id of Object.keys(experiment.variants).sort()) {
    edge += (experiment.variants[id]?.weight ?? 0) / 100;
    if (point < edge) return id;
  }
  return CONTROL;
}

/** The overrides an account in `variantId` reads: the locale's, with the variant's on top. */
export function withVariant(overrides: Overrides, experiment: Experiment | undefined, variantId: string | undefined): Overrides {
  const variant = variantId && experiment?.enabled ? experiment.variants[variantId] : undefined;
  return variant ? { ...overrides, ...variant.messages } : overrides;
}

/** What is wrong with a set of variants, in words; empty when it is fine. */
export function experimentProblems(variants: Record<string, Variant>): string[] {
  const ids = Object.keys(variants);
  const problems: string[] = [];
  if (ids.length > MAX_VARIANTS) problems.push(`at most ${MAX_VARIANTS} variants, not ${ids.length}`);
  const total = ids.reduce((sum, id) => sum + (variants[id]?.weight ?? 0), 0);
  if (total > 100) problems.push(`the variants' weights add up to ${total}; at most 100 (the rest get the base copy)`);
  return problems;
}

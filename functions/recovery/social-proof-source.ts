import { config } from '../shared/config.ts';
import { decidedEpisodes } from './depletion-stats.ts';
import { recoveryRate, type SocialProof } from './social-proof.ts';

/** The statistic moves slowly; one query per plan per container every few minutes is plenty. */
const CACHE_MS = 5 * 60_000;
const cache = new Map<string, { at: number; value: SocialProof | undefined }>();

/** The plan's recovery rate, when its sample is large enough to be honest; otherwise undefined. */
export async function socialProofFor(plan: string, now: Date): Promise<SocialProof | undefined> {
  const hit = cache.get(plan);
  if (hit && Math.abs(now.getTime() - hit.at) < CACHE_MS) return hit.value;
  const value = recoveryRate(plan, await decidedEpisodes(plan, now), now, config().SOCIAL_PROOF_MIN_SAMPLE);
  cache.set(plan, { at: now.getTime(), value });
  return value;
}

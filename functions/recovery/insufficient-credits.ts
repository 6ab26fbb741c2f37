import type { Balance } from '../accounts/model.ts';
import { type Copy, copyFor } from '../copy/render.ts';
import type { BuyLinks } from '../payments/buy-links.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { packsCovering, rolloverPlans } from '../pricing/prices.ts';
import type { ProblemFields } from '../shared/errors.ts';
import type { UsageSummary } from '../usage/aggregate.ts';
import type { InsufficientCreditsExtensions, RecoveryAction } from './openapi.ts';
import type { SocialProof } from './social-proof.ts';

export interface RecoveryInput {
  balance: Balance;
  required: number;
  operation?: string;
  /** The parked query, when the request can be resumed. */
  query?: { id: string; resumableUntil: string };
  /** Where the credits went; absent when it could not be read in time (the 402 is not held back for it). */
  usage?: UsageSummary;
  pricing: PriceBook;
  /** Absolute base URL of the API, e.g. `https://api.example.com`. */
  baseUrl: string;
  /** Where customers buy credits or change plans, when the platform has such a page. */
  billingUrl?: string;
  /** The Buy link of each pack and plan (signed checkout links); when given, every option uses it. */
  buyLinks?: BuyLinks;
  /** Signed link to the usage page, for a person reading the answer. */
  usagePageUrl?: string;
  /** The plan's real recovery rate, present only when its sample is large enough. */
  socialProof?: SocialProof;
  /** The words, in the customer's locale with the operator's overrides. @default English defaults */
  copy?: Copy;
}

const TOP_OPERATIONS = 3;
/** Kept for clients written against the old `{"error","message"}` answer. */
const LEGACY_ERROR = 'InsufficientBalance';

/**
 * The 402 answer: how short the customer is, where their credits went, and every way forward.
 * Pure, so the wording and the choice of options are tested without a table.
 */
export function insufficientCreditsProblem(input: RecoveryInput): ProblemFields & { extensions: InsufficientCreditsExtensions } {
  const shortfall = input.required - input.balance.available;
  const copy = input.copy ?? copyFor('en');
  const detail = copy.t('insufficientCredits.detail', {
    subject: input.operation ? copy.t('insufficientCredits.subject.operation', { operation: input.operation }) : copy.t('insufficientCredits.subject.request'),
    required: input.required,
    available: input.balance.available,
    shortfall,
    outcome: copy.t(input.query ? 'insufficientCredits.outcome.parked' : 'insufficientCredits.outcome.notCharged'),
  });
  return {
    status: 402,
    slug: 'insufficient-credits',
    title: copy.t('insufficientCredits.title'),
    detail,
    instance: input.query ? `/v1/queries/${input.query.id}` : undefined,
    headers: { 'Content-Language': copy.locale },
    extensions: {
      error: LEGACY_ERROR,
      message: detail,
      retryable: false,
      balance: { available: input.balance.available, held: input.balance.held, required: input.required, shortfall, unit: 'credits', asOf: input.balance.asOf },
      query: input.query ? { id: input.query.id, status: 'parked', expiresAt: input.query.resumableUntil } : undefined,
      usage: input.usage
        ? { from: input.usage.from, to: input.usage.to, total: input.usage.total, topOperations: input.usage.byOperation.slice(0, TOP_OPERATIONS) }
        : undefined,
      socialProof: input.socialProof ? { ...input.socialProof, message: socialProofMessage(input.socialProof, input.pricing, copy) } : undefined,
      actions: actions(input, shortfall, copy),
    },
  };
}

function actions(input: RecoveryInput, shortfall: number, copy: Copy): RecoveryAction[] {
  const { baseUrl, pricing } = input;
  const buyHref = input.billingUrl ?? `${baseUrl}/v1/prices`;
  const list: RecoveryAction[] = [
    { id: 'view_usage', label: copy.t('insufficientCredits.action.viewUsage'), method: 'GET', href: `${baseUrl}/v1/usage`, pageHref: input.usagePageUrl },
    {
      id: 'top_up',
      label: copy.t('insufficientCredits.action.topUp', { shortfall }),
      method: 'GET',
      href: buyHref,
      options: packsCovering(pricing, shortfall).map((pack) => ({ ...pack, href: input.buyLinks?.pack(pack.id) ?? withParam(buyHref, 'pack', pack.id) })),
    },
  ];
  const plans = rolloverPlans(pricing);
  if (plans.length > 0) {
    list.push({
      id: 'change_plan',
      label: copy.t('insufficientCredits.action.changePlan'),
      method: 'GET',
      href: buyHref,
      options: plans.map((plan) => ({ ...plan, href: input.buyLinks?.plan(plan.id) ?? withParam(buyHref, 'plan', plan.id) })),
    });
  }
  list.push({
    id: 'remind_later',
    label: copy.t('insufficientCredits.action.remindLater'),
    method: 'POST',
    href: `${baseUrl}/v1/reminders`,
    body: { after: 'P1D' },
  });
  if (input.query) {
    list.push({ id: 'resume', label: copy.t('insufficientCredits.action.resume'), method: 'POST', href: `${baseUrl}/v1/queries/${input.query.id}/resume` });
  }
  return list;
}

export function socialProofMessage(proof: SocialProof, pricing: PriceBook, copy: Copy = copyFor('en')): string {
  const plan = pricing.plans.find((p) => p.id === proof.plan)?.name ?? proof.plan;
  return copy.t('insufficientCredits.socialProof', { percent: proof.percent, plan, hours: proof.recoveryHours, sample: proof.sample, days: proof.windowDays });
}

function withParam(href: string, name: string, value: string): string {
  const url = new URL(href);
  url.searchParams.set(name, value);
  return url.toString();
}

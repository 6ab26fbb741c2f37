import type { AccountItem } from '../accounts/model.ts';
import { type AlertEmailInput, renderAlertEmail } from '../alerts/email.ts';
import { renderDigestEmail } from '../digests/email.ts';
import { lastCompletedPeriod } from '../digests/period.ts';
import { simplePage } from '../http/page.ts';
import { problemBody } from '../http/response.ts';
import type { HttpEvent, HttpResult } from '../http/types.ts';
import type { TxnItem } from '../metering/txn.ts';
import { checkoutResultPage, noCheckoutPage } from '../payments/pages.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { packsCovering, rolloverPlans } from '../pricing/prices.ts';
import { resumedPage, resumePage } from '../queries/resume-pages.ts';
import { insufficientCreditsProblem } from '../recovery/insufficient-credits.ts';
import { remindConfirmationPage, remindPage } from '../reminders/pages.ts';
import { summarizeUsage } from '../usage/aggregate.ts';
import { renderUsagePage } from '../usage/page.ts';
import { REMINDER_DELAYS } from '../usage/page-messages.ts';
import type { Copy } from './render.ts';

/** Every surface the preview renders. */
export const SURFACES = ['402', 'threshold-email', 'depletion-email', 'receipt-email', 'reminder-email', 'digest-email', 'usage-page', 'link-pages'] as const;
export type Surface = (typeof SURFACES)[number];

export type Preview =
  | { kind: 'problem'; body: Record<string, unknown> }
  | { kind: 'email'; subject: string; text: string; html: string }
  | { kind: 'pages'; pages: { id: string; status: number; html: string }[] };

const BASE = 'https://api.example.com';
const link = (path: string) => `${BASE}${path}?token=sample`;

/**
 * A surface as it would be sent to a sample account, in the given copy. Pure: sample data
 * only, so operators can preview copy without a customer and without sending anything.
 */
export function previewSurface(surface: Surface, copy: Copy, pricing: PriceBook, now: Date): Preview {
  const sample = sampleData(pricing, now);
  switch (surface) {
    case '402':
      return {
        kind: 'problem',
        body: problemBody(
          insufficientCreditsProblem({
            balance: { available: sample.account.balance, held: 0, unit: 'credits', asOf: now.toISOString() },
            required: sample.query.credits,
            operation: sample.query.operation,
            query: { id: sample.query.id, resumableUntil: sample.query.resumableUntil ?? now.toISOString() },
            usage: sample.usage,
            pricing,
            baseUrl: BASE,
            usagePageUrl: link('/usage'),
            copy,
          }),
          `urn:tollgate:txn:${sample.query.id}`,
        ),
      };
    case 'threshold-email':
      return email({ ...sample.email, kind: 'threshold', percent: 20, runwayDays: 3.4 }, copy);
    case 'depletion-email':
      return email(
        {
          ...sample.email,
          kind: 'depletion',
          refused: { operation: 'report', required: sample.query.credits, expiresAt: sample.query.resumableUntil },
          packs: packsCovering(pricing, sample.query.credits - sample.account.balance).slice(0, 3),
        },
        copy,
      );
    case 'receipt-email':
      return email(
        {
          ...sample.email,
          kind: 'receipt',
          purchase: samplePurchase(copy, pricing),
          resumed: [{ operation: 'report', credits: sample.query.credits, ok: true }],
        },
        copy,
      );
    case 'reminder-email':
      return email({ ...sample.email, kind: 'reminder', runwayDays: 0.5 }, copy);
    case 'digest-email': {
      const period = lastCompletedPeriod('weekly', now);
      const usage = sample.usage.byOperation;
      const rendered = renderDigestEmail(
        {
          name: sample.account.name,
          period,
          balance: sample.account.balance,
          asOf: now.toISOString(),
          usage,
          previous: usage.slice(1).map((u) => ({ ...u, credits: Math.max(1, Math.round(u.credits * 0.6)) })),
          runwayDays: 2.5,
          links: { usage: link('/usage'), topUp: link('/checkout'), remind: link('/remind'), digestOff: link('/v1/alerts/digest/unsubscribe') },
        },
        copy,
      );
      return { kind: 'email', subject: rendered.subject, text: rendered.text, html: rendered.html };
    }
    case 'usage-page':
      return {
        kind: 'pages',
        pages: [
          {
            id: 'usage',
            status: 200,
            html: renderUsagePage({
              accountName: sample.account.name,
              planName: pricing.plans.find((plan) => plan.id === sample.account.plan)?.name ?? sample.account.plan,
              balance: { available: sample.account.balance, held: 0, asOf: now.toISOString() },
              period: { from: sample.usage.from, to: sample.usage.to },
              usage: sample.usage,
              biggestQueries: [{ operation: 'report', credits: 10, at: sample.usage.to, queryId: sample.query.id }],
              runwayDays: 2.6,
              topUps: pricing.topUps.map((pack) => ({ ...pack, href: link('/checkout') })),
              plans: rolloverPlans(pricing).map((plan) => ({ ...plan, href: link('/checkout') })),
              remindAction: link('/remind'),
              alerts: { enabled: true, thresholds: [50, 20, 5], email: sample.account.email },
              copy,
            }),
          },
        ],
      };
    case 'link-pages':
      return { kind: 'pages', pages: linkPages(copy, pricing, sample, now) };
  }
}

function email(input: Omit<AlertEmailInput, 'copy'>, copy: Copy): Preview {
  const rendered = renderAlertEmail({ ...input, copy });
  return { kind: 'email', subject: rendered.subject, text: rendered.text, html: rendered.html };
}

function samplePurchase(copy: Copy, pricing: PriceBook): string {
  const pack = pricing.topUps[0];
  return pack ? copy.t('email.receipt.pack', { credits: pack.credits, price: pack.price }) : copy.t('page.checkout.plan', { plan: 'Starter' });
}

function linkPages(copy: Copy, pricing: PriceBook, sample: ReturnType<typeof sampleData>, now: Date) {
  const event = (path: string) => ({ rawPath: path, rawQueryString: 'token=sample' }) as HttpEvent;
  const { account, query } = sample;
  const rich = { ...account, balance: 50 };
  const page = (id: string, result: HttpResult) => ({ id, status: result.statusCode, html: String(result.body) });
  return [
    page('remind', remindPage(event('/remind'), [...REMINDER_DELAYS], copy)),
    page(
      'reminded',
      remindConfirmationPage(
        {
          id: 'rem_sample',
          accountId: account.id,
          dueAt: new Date(now.getTime() + 86_400_000).toISOString(),
          status: 'scheduled',
          baselineSeq: 1,
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
          expiresAtEpoch: 0,
        },
        link('/usage'),
        copy,
      ),
    ),
    page('resume-short', resumePage(event('/resume'), query, account, link('/usage'), now, copy)),
    page('resume-ready', resumePage(event('/resume'), query, rich, link('/usage'), now, copy)),
    page('resumed', resumedPage(query, { statusCode: 200, headers: { 'Credits-Remaining': '40' }, body: '' }, link('/usage'), copy)),
    page('unsubscribe', { statusCode: 200, headers: {}, body: simplePage(copy.t('page.unsubscribe.title'), copy.t('page.unsubscribe.text'), '', copy.locale) }),
    page('unsubscribed', {
      statusCode: 200,
      headers: {},
      body: simplePage(copy.t('page.unsubscribed.title'), copy.t('page.unsubscribed.text'), '', copy.locale),
    }),
    page('checkout-unavailable', noCheckoutPage(account, link('/usage'), copy)),
    page(
      'checkout-done',
      checkoutResultPage({
        account: rich,
        purchase: samplePurchase(copy, pricing),
        confirmed: true,
        query: { ...query, status: 'completed' },
        apiBaseUrl: BASE,
        usageUrl: link('/usage'),
        refreshUrl: link('/checkout/done'),
        copy,
      }),
    ),
  ];
}

function sampleData(pricing: PriceBook, now: Date) {
  const day = 86_400_000;
  const account: AccountItem = {
    id: 'acc_SAMPLE0000000000',
    name: 'Ada Example',
    email: 'ada@example.com',
    plan: pricing.defaultPlan,
    balance: 3,
    seq: 4,
    keys: {},
    createdAt: new Date(now.getTime() - 20 * day).toISOString(),
    updatedAt: now.toISOString(),
  };
  const query: TxnItem = {
    id: 'q_SAMPLE0000000000',
    kind: 'query',
    accountId: account.id,
    status: 'parked',
    requestHash: 'sample',
    credits: 10,
    operation: 'report',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    resumableUntil: new Date(now.getTime() + 2 * day).toISOString(),
  };
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * day).toISOString();
  const usage = summarizeUsage(
    [
      { id: 'tu_1', type: 'top_up', credits: 100, at: at(6), seq: 1, balanceAfter: 100 },
      { id: 'q_1', type: 'debit', credits: -40, operation: 'report', at: at(4), seq: 2, balanceAfter: 60 },
      { id: 'q_2', type: 'debit', credits: -45, operation: 'search', at: at(2), seq: 3, balanceAfter: 15 },
      { id: 'q_3', type: 'debit', credits: -12, operation: 'export', at: at(1), seq: 4, balanceAfter: 3 },
    ],
    new Date(now.getTime() - 30 * day),
    now,
  );
  const emailInput: Omit<AlertEmailInput, 'copy' | 'kind'> = {
    name: account.name,
    balance: account.balance,
    asOf: now.toISOString(),
    usage: { since: at(6).slice(0, 10), total: usage.total, top: usage.byOperation.slice(0, 3) },
    packs: pricing.topUps.slice(0, 3),
    plans: rolloverPlans(pricing),
    links: { usage: link('/usage'), remind: link('/remind'), unsubscribe: link('/v1/alerts/unsubscribe'), topUp: link('/checkout'), resume: link('/resume') },
  };
  return { account, query, usage, email: emailInput };
}

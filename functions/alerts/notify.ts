import type { AccountItem } from '../accounts/model.ts';
import { accountCopy } from '../copy/account-copy.ts';
import type { Copy } from '../copy/render.ts';
import type { LedgerEntry } from '../metering/ledger.ts';
import { ledgerSince } from '../metering/ledger-store.ts';
import type { TxnItem } from '../metering/txn.ts';
import { buyLinks } from '../payments/buy-links.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { packsCovering, rolloverPlans } from '../pricing/prices.ts';
import { socialProofMessage } from '../recovery/insufficient-credits.ts';
import { socialProofFor } from '../recovery/social-proof-source.ts';
import type { Clock } from '../shared/clock.ts';
import { logger } from '../shared/logger.ts';
import { summarizeUsage } from '../usage/aggregate.ts';
import { crossedThreshold, isNews } from './crossings.ts';
import { type AlertEmailInput, type RenderedEmail, renderAlertEmail } from './email.ts';
import { episodeState, recordDepletionSent, recordThresholdSent } from './episode-store.ts';
import { emailLinks } from './links.ts';
import { RUNWAY_WINDOW_DAYS, runwayDays } from './runway.ts';
import { type EmailSender, isPermanentSendFailure } from './ses-sender.ts';
import { effectiveAlerts } from './settings.ts';

export interface AlertDeps {
  sender: EmailSender;
  clock: Clock;
  pricing: PriceBook;
  /**
   * Ledger entries of this account being written at the same time as the email is made (the
   * stream consumer does both at once): counted in the email's usage as if already read.
   */
  pendingLedger?: readonly LedgerEntry[];
}

const TOP_OPERATIONS = 3;
const PACKS_SHOWN = 3;

/**
 * A balance change: emails the lowest threshold it crossed, once per episode. The episode
 * record is written after the send, so a failed send is retried (the record is redelivered)
 * and a redelivered record after a successful send finds the episode record and sends nothing.
 */
export async function alertOnBalanceChange(oldImage: AccountItem | undefined, newImage: AccountItem, deps: AlertDeps): Promise<void> {
  const percent = crossedThreshold(oldImage, newImage);
  const settings = effectiveAlerts(newImage);
  if (percent === undefined || !settings.enabled) return;
  const episode = newImage.baselineSeq ?? 0;
  if (!isNews(percent, await episodeState(newImage.id, episode))) return;
  const email = renderAlertEmail(await emailInput(newImage, deps, { kind: 'threshold', percent }));
  await deliver(deps, settings.email, email, { kind: 'threshold', threshold: String(percent) });
  await recordThresholdSent(newImage.id, episode, percent, deps.clock.now());
  logger.info('threshold alert sent', { accountId: newImage.id, threshold: percent });
}

/**
 * The first refusal of a depletion episode: one "you're out of credits" email with the way forward.
 * A parked query's email (with its resume link) is the episode's depletion email; a refused admin
 * debit kept nothing, so it gets its own wording and its own record, and a query parked after it
 * still gets its email. Once the depletion email went out, a refused debit adds nothing.
 */
export async function alertOnRefusal(txn: TxnItem, account: AccountItem, deps: AlertDeps): Promise<void> {
  const settings = effectiveAlerts(account);
  const episode = account.baselineSeq ?? 0;
  const parked = txn.status === 'parked';
  const state = await episodeState(account.id, episode);
  if (!settings.enabled || state?.depletionSentAt || (!parked && state?.refusalSentAt)) return;
  const refused = { operation: txn.operation ?? 'request', required: txn.credits, expiresAt: parked ? txn.resumableUntil : undefined };
  const kind = parked ? 'depletion' : 'refused';
  const input = await emailInput(account, deps, { kind, refused, queryId: parked ? txn.id : undefined });
  await deliver(deps, settings.email, renderAlertEmail(input), { kind });
  await recordDepletionSent(account.id, episode, deps.clock.now(), parked ? 'depletionSentAt' : 'refusalSentAt');
  logger.info(`${kind} alert sent`, { accountId: account.id });
}

/** A "remind me later" the customer asked for: the then-current balance and the ways forward. */
export async function sendReminderEmail(account: AccountItem, deps: AlertDeps): Promise<void> {
  const input = await emailInput(account, deps, { kind: 'reminder' });
  await deliver(deps, effectiveAlerts(account).email, renderAlertEmail(input), { kind: 'reminder' });
}

/**
 * Sends an email. A transient failure (throttling, SES or the network down) throws, so the
 * record is retried; a permanent refusal (rejected message, unverified sender, paused account)
 * would fail the same way forever and hold up the stream, so it is logged and counted as done.
 */
async function deliver(deps: AlertDeps, to: string, email: RenderedEmail, tags: Record<string, string>): Promise<void> {
  try {
    await deps.sender.send(to, email, tags);
  } catch (error) {
    if (!isPermanentSendFailure(error)) throw error;
    logger.warn('alert email refused permanently by SES; not retrying', { error, ...tags });
  }
}

/** Auto-resume: tells the customer which parked queries their top-up ran. */
export async function sendResumedEmail(account: AccountItem, resumed: NonNullable<AlertEmailInput['resumed']>, deps: AlertDeps): Promise<void> {
  const input = await emailInput(account, deps, { kind: 'resumed', resumed });
  await deliver(deps, effectiveAlerts(account).email, renderAlertEmail(input), { kind: 'resumed' });
}

/** A paid checkout or subscription invoice: what was bought, and the waiting query it ran, if any. */
export async function sendReceiptEmail(
  account: AccountItem,
  purchase: string,
  resumed: NonNullable<AlertEmailInput['resumed']>,
  deps: AlertDeps,
): Promise<void> {
  const input = await emailInput(account, deps, { kind: 'receipt', purchase, resumed });
  // A receipt goes to the account's address even when balance alerts are off: it is not an alert.
  await deliver(deps, account.alerts?.email ?? account.email, renderAlertEmail(input), { kind: 'receipt' });
}

type Kind =
  | { kind: 'threshold'; percent: number }
  | { kind: 'depletion' | 'refused'; refused: NonNullable<AlertEmailInput['refused']>; queryId?: string }
  | { kind: 'reminder' }
  | { kind: 'resumed'; resumed: NonNullable<AlertEmailInput['resumed']> }
  | { kind: 'receipt'; purchase: string; resumed: NonNullable<AlertEmailInput['resumed']> };

async function emailInput(account: AccountItem, deps: AlertDeps, what: Kind): Promise<AlertEmailInput> {
  const now = deps.clock.now();
  const since = new Date(account.baselineAt ?? account.createdAt);
  const windowStart = new Date(Math.min(since.getTime(), now.getTime() - RUNWAY_WINDOW_DAYS * 86_400_000));
  const entries = withPending(await ledgerSince(account.id, windowStart, account.shardSlots), deps.pendingLedger ?? [], windowStart);
  const usage = summarizeUsage(entries, since, new Date(now.getTime() + 1));
  const refusal = what.kind === 'depletion' || what.kind === 'refused' ? what : undefined;
  const shortfall = refusal ? refusal.refused.required - account.balance : 0;
  const copy = await accountCopy(account);
  return {
    kind: what.kind,
    copy,
    name: account.name,
    balance: account.balance,
    held: account.held ?? 0,
    asOf: now.toISOString(),
    percent: what.kind === 'threshold' ? what.percent : undefined,
    usage: { since: since.toISOString().slice(0, 10), total: usage.total, top: usage.byOperation.slice(0, TOP_OPERATIONS) },
    runwayDays: refusal ? undefined : runwayDays(account.balance, entries, now),
    packs: packsCovering(deps.pricing, shortfall).slice(0, PACKS_SHOWN),
    plans: rolloverPlans(deps.pricing),
    refused: refusal?.refused,
    resumed: what.kind === 'resumed' || what.kind === 'receipt' ? what.resumed : undefined,
    purchase: what.kind === 'receipt' ? what.purchase : undefined,
    socialProof: refusal ? await socialProofLine(account.plan, now, deps.pricing, copy) : undefined,
    links: {
      ...(await emailLinks(account.id, now, refusal?.queryId)),
      buy: await buyLinks(account.id, deps.pricing, now, refusal?.queryId),
    },
  };
}

/** The entries read, and those still being written, once each by sequence number, newest first. */
function withPending(read: readonly LedgerEntry[], pending: readonly LedgerEntry[], from: Date): LedgerEntry[] {
  const fromIso = from.toISOString();
  const bySeq = new Map(read.map((entry) => [entry.seq, entry]));
  for (const entry of pending) if (entry.at >= fromIso) bySeq.set(entry.seq, entry);
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq);
}

async function socialProofLine(plan: string, now: Date, pricing: PriceBook, copy: Copy): Promise<string | undefined> {
  const proof = await socialProofFor(plan, now);
  return proof ? socialProofMessage(proof, pricing, copy) : undefined;
}

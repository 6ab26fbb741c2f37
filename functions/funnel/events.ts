import type { AccountItem } from '../accounts/model.ts';
import type { TxnItem } from '../metering/txn.ts';
import type { PaymentItem } from '../payments/payment-store.ts';
import type { ReminderItem } from '../reminders/model.ts';
import type { Action } from './episode.ts';

/** The episode a signal is about: named by its alert episode, or the latest whose wall came before an instant. */
export type EpisodeRef = { seq: number } | { wallBefore: string; open: boolean };

/** What one stream record tells the funnel, decided from its images alone. */
export type FunnelSignal<R> =
  /** The alert episode recorded its first refusal (and maybe the copy variant shown). */
  | { kind: 'wall'; record: R; accountId: string; seq: number; at: string; plan: string; warnedAt?: string; variant?: string }
  /** A top-up or grant opened a new alert episode, ending the one before. */
  | { kind: 'end'; record: R; accountId: string; seq: number; at: string; paid: boolean; txnId: string; viaCheckout: boolean; locale?: string }
  | { kind: 'action'; record: R; accountId: string; episode: EpisodeRef; stage: Action | 'resumed'; at: string }
  /** A checkout payment's amount, for the episode its top-up ends. */
  | { kind: 'payment'; record: R; accountId: string; txnId: string; amount: number; currency: string };

/** The images of one stream record, unmarshalled. */
export interface RecordImages<R> {
  record: R;
  eventName?: string;
  keys: { pk?: string; sk?: string };
  old?: Record<string, unknown>;
  new?: Record<string, unknown>;
}

/** What the alert episode item (`ALERTS#<seq>`) holds that the funnel reads. */
interface AlertEpisodeImage {
  depletionStartedAt?: string;
  depletionPlan?: string;
  sentLowest?: number;
  updatedAt?: string;
  copyVariant?: string;
}

/** Grants keyed by a period (`grant_2026-11`) are the free monthly renewal; grants keyed by an invoice were paid for. */
const RENEWAL_GRANT = /^grant_\d{4}-\d{2}$/;

/** The funnel signals of a batch, in record order. Pure. */
export function funnelSignals<R>(records: readonly RecordImages<R>[]): FunnelSignal<R>[] {
  return records.flatMap((images) => {
    const signal = signalOf(images);
    return signal ? [signal] : [];
  });
}

function signalOf<R>(images: RecordImages<R>): FunnelSignal<R> | undefined {
  const { record, keys } = images;
  const next = images.new;
  if (!next || !keys.pk?.startsWith('ACCOUNT#')) return paymentSignal(images);
  const accountId = keys.pk.slice('ACCOUNT#'.length);
  if (keys.sk?.startsWith('ALERTS#')) return wallSignal(images, accountId, Number(keys.sk.slice('ALERTS#'.length)));
  if (next.entity === 'account') return endSignal(record, images.old as AccountItem | undefined, next as unknown as AccountItem);
  if (next.entity === 'reminder' && images.eventName === 'INSERT') {
    const reminder = next as unknown as ReminderItem;
    return { kind: 'action', record, accountId, episode: { seq: reminder.baselineSeq }, stage: 'reminderSet', at: reminder.createdAt };
  }
  if (next.entity === 'txn') {
    const [before, after] = [images.old as TxnItem | undefined, next as unknown as TxnItem];
    if (before?.status !== 'parked' || after.status === 'parked') return undefined;
    if (after.status !== 'running' && after.status !== 'completed') return undefined;
    return { kind: 'action', record, accountId, episode: { wallBefore: before.createdAt, open: false }, stage: 'resumed', at: after.updatedAt };
  }
  return undefined;
}

function wallSignal<R>(images: RecordImages<R>, accountId: string, seq: number): FunnelSignal<R> | undefined {
  const [before, after] = [images.old as AlertEpisodeImage | undefined, images.new as AlertEpisodeImage];
  if (!after.depletionStartedAt || !after.depletionPlan) return undefined;
  if (before?.depletionStartedAt && before.copyVariant === after.copyVariant) return undefined;
  // A threshold email recorded on the alert episode before the wall: the customer was warned.
  const warnedAt = after.sentLowest !== undefined ? (after.updatedAt ?? after.depletionStartedAt) : undefined;
  return {
    kind: 'wall',
    record: images.record,
    accountId,
    seq,
    at: after.depletionStartedAt,
    plan: after.depletionPlan,
    warnedAt,
    variant: after.copyVariant,
  };
}

function endSignal<R>(record: R, old: AccountItem | undefined, account: AccountItem): FunnelSignal<R> | undefined {
  const change = account.lastChange;
  if (!old || !change || (account.baselineSeq ?? 0) <= (old.baselineSeq ?? 0)) return undefined;
  const paid = change.type === 'top_up' || (change.type === 'grant' && !RENEWAL_GRANT.test(change.id));
  return {
    kind: 'end',
    record,
    accountId: account.id,
    seq: old.baselineSeq ?? 0,
    at: change.at,
    paid,
    txnId: change.id,
    viaCheckout: change.type === 'top_up' && (change.reference?.startsWith('checkout ') ?? false),
    locale: localeOf(account),
  };
}

function paymentSignal<R>(images: RecordImages<R>): FunnelSignal<R> | undefined {
  const payment = images.new as (PaymentItem & { entity?: string }) | undefined;
  if (images.eventName !== 'INSERT' || payment?.entity !== 'payment') return undefined;
  return { kind: 'payment', record: images.record, accountId: payment.accountId, txnId: payment.txnId, amount: payment.amount, currency: payment.currency };
}

/** The account's locale (`locale`, recorded by the copy catalogue) when it has one. */
export function localeOf(account: object | undefined): string | undefined {
  const locale = (account as { locale?: unknown } | undefined)?.locale;
  return typeof locale === 'string' && locale !== '' ? locale : undefined;
}

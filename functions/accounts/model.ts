import type { Locale } from '../copy/locales.ts';
import type { Account, Balance } from './openapi.ts';

/** The last balance change, kept on the account item so the stream can project it into the ledger. */
export interface BalanceChange {
  id: string;
  /** `hold`: an estimate reserved for work priced afterwards; `settle` gives back what the work did not use (or takes an allowed overage); `release` gives a hold back whole. */
  type: 'top_up' | 'debit' | 'refund' | 'grant' | 'expiry' | 'reversal' | 'hold' | 'settle' | 'release' | 'transfer';
  /** Signed: negative for debits. */
  credits: number;
  operation?: string;
  queryId?: string;
  /** What the change refers to outside Tollgate: an invoice, a payment's checkout session or refund. */
  reference?: string;
  at: string;
  /**
   * A key-less charge: its txn record is written only when it settles, so until then the ledger
   * entry projected from this change is its only trace, and the sweeper refunds one that never
   * settles (docs/design/debit-protocol.md).
   */
  pendingTxn?: true;
}

export interface ApiKeyRef {
  name?: string;
  hash: string;
  createdAt: string;
}

/** Who gets balance alerts, at which percentages of the baseline, and whether at all. */
export interface AlertSettings {
  /** Percentages of the balance right after the latest top-up, highest first. */
  thresholds: number[];
  /** Recipient; the account's email when absent. */
  email?: string;
  enabled: boolean;
  /** A usage digest by email every week or month (opt-in); independent of the balance alerts. @default 'off' */
  digest?: DigestFrequency;
}

export const DIGEST_FREQUENCIES = ['off', 'weekly', 'monthly'] as const;
export type DigestFrequency = (typeof DIGEST_FREQUENCIES)[number];

/** The account item: identity, plan, balance and active keys. */
export interface AccountItem {
  id: string;
  name: string;
  email: string;
  plan: string;
  /** The platform's own id of this customer (a tenant id, a JWT claim); unique across accounts, never changed. */
  externalId?: string;
  /**
   * Available credits: what debits, holds, thresholds and the 402 decide on. On a sharded account
   * the item itself holds only the reserve; `findAccount` answers with the exact total here.
   */
  balance: number;
  /** Sharded accounts: the number of sub-balances debits spread over (2–64); absent when not sharded. */
  shards?: number;
  /** Sharded accounts: how many sub-balance items exist (the most ever opened); the total sums them all. */
  shardSlots?: number;
  /** Sharded accounts: the credits on the account item itself (not in a sub-balance), as read with the total. */
  reserve?: number;
  /** The lease of a shard-count change in progress (they run one at a time); gone when it finishes. */
  shardChange?: { id: string; until: string };
  /** Bumped by every key change: opening sub-balances copies the keys only from the version it read. */
  keysVersion?: number;
  /** Credits reserved by open holds, outside `balance`: settling or releasing a hold moves them back. @default 0 */
  held?: number;
  /** Number of balance changes so far; the ledger entry of change n has sequence n. */
  seq: number;
  keys: Record<string, ApiKeyRef>;
  createdAt: string;
  updatedAt: string;
  lastChange?: BalanceChange;
  /** Balance right after the latest top-up or grant: thresholds are percentages of it. */
  baseline?: number;
  /** `seq` of that top-up: a new one starts a new alert episode (re-arms every threshold). */
  baselineSeq?: number;
  baselineAt?: string;
  alerts?: AlertSettings;
  /** Purchased credits not yet spent, as of the last renewal plus top-ups since (plan credits are spent first). */
  purchased?: number;
  /** The last plan period granted, `YYYY-MM`. */
  renewedPeriod?: string;
  /** A top-up runs the parked queries, oldest first, while the balance covers them. @default false */
  autoResume?: boolean;
  /** Refunded credits that could not be taken back because they were already spent (the balance never goes below zero). */
  unrecoveredCredits?: number;
  /** The payment provider's subscription that pays for the plan; its invoices grant the plan's credits. */
  subscription?: { id: string; plan: string };
  /** The language of the customer's emails and pages (`en`, `de`, `fr`); English when absent. */
  locale?: Locale;
}

export type { Balance };

export function balanceOf(account: Pick<AccountItem, 'balance' | 'held'>, asOf: Date): Balance {
  return { available: account.balance, held: account.held ?? 0, unit: 'credits', asOf: asOf.toISOString() };
}

/** The public representation of an account. */
export function accountView(account: AccountItem, asOf: Date): Account {
  return {
    id: account.id,
    name: account.name,
    email: account.email,
    externalId: account.externalId,
    plan: account.plan,
    locale: account.locale,
    autoResume: account.autoResume ?? false,
    balance: balanceOf(account, asOf),
    shards: account.shards ?? 1,
    unrecoveredCredits: account.unrecoveredCredits ?? 0,
    createdAt: account.createdAt,
  };
}

export const ACCOUNT_ID = /^acc_[A-Za-z0-9_-]{16}$/;
/** Tenant ids, UUIDs, `auth0|…` subjects: printable ASCII without spaces. */
export const EXTERNAL_ID = /^[\x21-\x7E]{1,128}$/;
export const EXTERNAL_ID_MESSAGE = 'must be 1–128 printable ASCII characters without spaces';
export const KEY_ID = /^key_[A-Za-z0-9_-]{16}$/;
/** At most this many active keys per account keeps the account item small (1 WRU per write). */
export const MAX_ACTIVE_KEYS = 10;

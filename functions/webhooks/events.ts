import { z } from 'zod';
import type { AccountItem } from '../accounts/model.ts';
import { crossedThreshold, thresholdLevel } from '../alerts/crossings.ts';
import { becameRefused, type TxnItem } from '../metering/txn.ts';
import { derivedId } from '../shared/ids.ts';
import { opensEpisode } from '../streams/plan.ts';

/** Version of every payload below; a breaking change to one bumps it (additive fields do not). */
export const PAYLOAD_VERSION = 1;

const accountId = z.string().describe('The Tollgate account the event is about.');
const credits = z.number().int();

export const thresholdCrossedData = z.object({
  accountId,
  thresholdPercent: z.number().int().describe('The alert threshold crossed, a percentage of the baseline (the lowest one when a change crossed several).'),
  thresholdCredits: credits.describe('The threshold in credits.'),
  balance: credits.describe('The balance the crossing change left.'),
  baseline: credits.describe('The balance right after the latest top-up or grant.'),
});

export const depletedData = z.object({
  accountId,
  operation: z.string().describe('The operation that was refused.'),
  price: credits.describe('Its price in credits.'),
  balance: credits.describe('The balance when the refusal was seen.'),
  shortfall: credits.describe('Credits missing for the refused operation.'),
  queryId: z.string().optional().describe('The parked query, resumable after a top-up (absent for a refused admin debit).'),
  resumableUntil: z.string().optional(),
});

export const queryParkedData = z.object({
  accountId,
  queryId: z.string(),
  operation: z.string(),
  credits: credits.describe('The price it will be charged when resumed.'),
  resumableUntil: z.string(),
});

export const queryResumedData = z.object({
  accountId,
  queryId: z.string(),
  operation: z.string(),
  credits: credits.describe('The price charged for it.'),
});

export const TOP_UP_SOURCES = ['admin', 'checkout', 'plan'] as const;

export const topUpCompletedData = z.object({
  accountId,
  topUpId: z.string().describe('The top-up (or plan grant) transaction.'),
  credits: credits.describe('Credits added.'),
  balance: credits.describe('The balance after it.'),
  source: z
    .enum(TOP_UP_SOURCES)
    .describe('`admin`: the admin top-up API; `checkout`: a paid checkout; `plan`: a plan grant (renewal or subscription invoice).'),
  autoResume: z.boolean().describe('The account runs its parked queries after a top-up; `query.resumed` events follow for those that ran.'),
  reference: z.string().optional(),
});

export const episodeRecoveredData = z.object({
  accountId,
  depletedAt: z.string().describe('When the episode’s first refusal happened.'),
  topUpId: z.string().describe('The top-up or grant that ended the episode.'),
  balance: credits,
});

export const planChangedData = z.object({ accountId, from: z.string(), to: z.string() });

/** Every event type, with the schema of its `data`: the one definition for code, OpenAPI and README. */
export const eventDataSchemas = {
  'balance.threshold_crossed': thresholdCrossedData,
  'balance.depleted': depletedData,
  'query.parked': queryParkedData,
  'query.resumed': queryResumedData,
  'topup.completed': topUpCompletedData,
  'episode.recovered': episodeRecoveredData,
  'plan.changed': planChangedData,
} as const;

export type EventType = keyof typeof eventDataSchemas;
export const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[];

/** The envelope every delivery carries; the body is built once, so every retry sends the same bytes. */
export const webhookEventSchema = <T extends EventType>(type: T) =>
  z.object({
    id: z.string().describe('Stable event id, also the `webhook-id` header: the same on every retry, so receivers can dedupe.'),
    type: z.literal(type),
    version: z.literal(PAYLOAD_VERSION),
    timestamp: z.string().describe('When it happened (ISO 8601).'),
    data: eventDataSchemas[type],
  });

export interface WebhookEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  version: typeof PAYLOAD_VERSION;
  timestamp: string;
  data: z.infer<(typeof eventDataSchemas)[T]>;
}

/** One stream record as the planner sees it. `seq` orders an account's records (its stream sequence number). */
export type EventSource =
  | { kind: 'account'; seq: string; old?: AccountItem; account: AccountItem }
  /** A txn insert or update; `account` is read for refusals only (their shortfall and episode). */
  | { kind: 'txn'; seq: string; old?: TxnItem; txn: TxnItem; account?: AccountItem };

export interface PlannedEvent {
  event: WebhookEvent;
  accountId: string;
  /** Orders the account's events: the record's sequence number, then the event's place in it. */
  order: string;
  /** Where the event came from: a redelivered record may write the same event again, any other record may not. */
  source: string;
  /** `episode.recovered`: sent only when this episode's `balance.depleted` was, whose time it carries. */
  afterDepletion?: string;
}

/** The id of the one `balance.depleted` event of an account's episode. */
export const depletedEventId = (accountId: string, baselineSeq: number) => derivedId('evt', 'balance.depleted', accountId, String(baselineSeq));

/** Stream sequence numbers are decimal strings of varying length: padded, they sort as numbers. */
const orderOf = (seq: string, index: number) => `${seq.padStart(40, '0')}.${String(index).padStart(2, '0')}`;

/**
 * The events a batch of stream records means, each with an id derived from what it is about
 * (never from the delivery of the record), so a redelivered or bisected batch plans the same
 * events again. Pure.
 */
export function planEvents(sources: readonly EventSource[]): PlannedEvent[] {
  return sources.flatMap((source) => {
    const events = source.kind === 'account' ? accountEvents(source) : txnEvents(source);
    return events.map(({ afterDepletion, ...event }, index) => ({
      event: { ...event, version: PAYLOAD_VERSION } as WebhookEvent,
      accountId: event.data.accountId,
      order: orderOf(source.seq, index),
      source: source.seq,
      afterDepletion,
    }));
  });
}

type Draft = Omit<WebhookEvent, 'version'> & { afterDepletion?: string };

function accountEvents({ old, account }: Extract<EventSource, { kind: 'account' }>): Draft[] {
  const drafts: Draft[] = [];
  const change = account.lastChange;
  const at = change?.at ?? account.updatedAt;
  const isNewChange = change !== undefined && change.id !== old?.lastChange?.id;
  if (isNewChange && (change.type === 'top_up' || change.type === 'grant')) {
    drafts.push({
      id: derivedId('evt', 'topup.completed', account.id, change.id),
      type: 'topup.completed',
      timestamp: at,
      data: {
        accountId: account.id,
        topUpId: change.id,
        credits: change.credits,
        balance: account.balance,
        source: change.type === 'grant' ? 'plan' : change.reference?.startsWith('checkout ') ? 'checkout' : 'admin',
        autoResume: account.autoResume ?? false,
        reference: change.reference,
      },
    });
  }
  if (old && opensEpisode(old, account)) {
    drafts.push({
      id: derivedId('evt', 'episode.recovered', account.id, String(old.baselineSeq ?? 0)),
      type: 'episode.recovered',
      timestamp: at,
      data: { accountId: account.id, depletedAt: '', topUpId: change?.id ?? '', balance: account.balance },
      afterDepletion: depletedEventId(account.id, old.baselineSeq ?? 0),
    });
  }
  const percent = crossedThreshold(old, account);
  if (percent !== undefined) {
    const baseline = account.baseline ?? 0;
    drafts.push({
      id: derivedId('evt', 'balance.threshold_crossed', account.id, String(account.baselineSeq ?? 0), String(percent)),
      type: 'balance.threshold_crossed',
      timestamp: at,
      data: { accountId: account.id, thresholdPercent: percent, thresholdCredits: thresholdLevel(baseline, percent), balance: account.balance, baseline },
    });
  }
  if (old && old.plan !== account.plan) {
    drafts.push({
      id: derivedId('evt', 'plan.changed', account.id, account.updatedAt, account.plan),
      type: 'plan.changed',
      timestamp: account.updatedAt,
      data: { accountId: account.id, from: old.plan, to: account.plan },
    });
  }
  return drafts;
}

function txnEvents({ old, txn, account }: Extract<EventSource, { kind: 'txn' }>): Draft[] {
  const drafts: Draft[] = [];
  const operation = txn.operation ?? txn.kind;
  const refused = becameRefused(old, txn);
  if (refused && txn.status === 'parked') {
    drafts.push({
      id: derivedId('evt', 'query.parked', txn.accountId, txn.id),
      type: 'query.parked',
      timestamp: txn.createdAt,
      data: { accountId: txn.accountId, queryId: txn.id, operation, credits: txn.credits, resumableUntil: txn.resumableUntil ?? '' },
    });
  }
  if (refused && account) {
    // Several refusals of one episode plan the same id: the first one written is the one sent.
    drafts.push({
      id: depletedEventId(txn.accountId, account.baselineSeq ?? 0),
      type: 'balance.depleted',
      timestamp: txn.createdAt,
      data: {
        accountId: txn.accountId,
        operation,
        price: txn.credits,
        balance: account.balance,
        shortfall: Math.max(0, txn.credits - account.balance),
        ...(txn.status === 'parked' ? { queryId: txn.id, resumableUntil: txn.resumableUntil } : {}),
      },
    });
  }
  if (old?.status === 'parked' && txn.status !== 'parked' && txn.status !== 'failed') {
    drafts.push({
      id: derivedId('evt', 'query.resumed', txn.accountId, txn.id),
      type: 'query.resumed',
      timestamp: txn.updatedAt,
      data: { accountId: txn.accountId, queryId: txn.id, operation, credits: txn.credits },
    });
  }
  return drafts;
}

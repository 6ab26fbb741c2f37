import type { Balance } from '../accounts/model.ts';
import { fields } from '../http/request.ts';
import type { TxnItem } from '../metering/txn.ts';
import { durationMs } from '../reminders/duration.ts';
import * as z from '../shared/schema.ts';
import { DEFAULT_HOLD_EXPIRES_IN, MAX_HOLD_MS, MIN_HOLD_MS } from './lifetime.ts';
import type { Hold } from './openapi.ts';

/** Hold ids: `hd_` and a random or Idempotency-Key-derived suffix. */
export const HOLD_ID = /^hd_[A-Za-z0-9_-]{16,32}$/;

const expiresIn = () =>
  z._default(
    z.string().check(
      z.refine((text) => {
        const ms = durationMs(text);
        return ms !== undefined && ms >= MIN_HOLD_MS && ms <= MAX_HOLD_MS;
      }, 'must be an ISO-8601 duration from PT1M to PT24H, such as "PT5M"'),
    ),
    DEFAULT_HOLD_EXPIRES_IN,
  );

export const placeHoldSchema = z.builtOnFirstUse(() => z.strictObject({ operation: fields.operation, credits: fields.credits, expiresIn: expiresIn() }));
export const settleHoldSchema = z.builtOnFirstUse(() =>
  z.strictObject({
    credits: z
      .number({ error: 'must be a number' })
      .check(z.int('must be a whole number of credits'), z.minimum(0, 'must be 0 or more'), z.maximum(1_000_000_000, 'must be at most 1,000,000,000')),
  }),
);
/** Release takes no fields; an empty body is fine too. */
export const releaseHoldSchema = z.builtOnFirstUse(() => z.strictObject({}));

/** A hold as the API shows it: what is held, what it cost once settled, and the balance. */
export function holdView(hold: TxnItem, balance: Balance): Hold {
  return {
    id: hold.id,
    operation: hold.operation ?? '',
    held: hold.credits,
    status: hold.status as Hold['status'],
    expiresAt: hold.holdExpiresAt ?? hold.createdAt,
    charged: hold.status === 'settled' ? (hold.settledCredits ?? 0) : 0,
    ...(hold.status === 'released' ? { releasedBy: hold.releasedBy } : {}),
    createdAt: hold.createdAt,
    updatedAt: hold.updatedAt,
    balance,
  };
}

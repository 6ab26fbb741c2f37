import { z } from 'zod';
import { requireClientAccount } from '../accounts/auth.ts';
import { balanceOf } from '../accounts/model.ts';
import { getAccount } from '../accounts/store.ts';
import { accountCopy } from '../copy/account-copy.ts';
import { recordVisit } from '../funnel/record.ts';
import type { RouteMap } from '../http/handler.ts';
import { linkClaims } from '../http/link-token.ts';
import { parseQuery } from '../http/request.ts';
import { html, json } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import { ledgerSince } from '../metering/ledger-store.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { priceList } from '../pricing/prices.ts';
import type { Clock } from '../shared/clock.ts';
import { ValidationError } from '../shared/errors.ts';
import { summarizeUsage } from './aggregate.ts';
import { renderUsagePage } from './page.ts';
import { usagePageData } from './page-data.ts';

export interface UsageDeps {
  pricing: PriceBook;
  clock: Clock;
}

const DAY_MS = 86_400_000;
const MAX_RANGE_DAYS = 366;
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO-8601 date or date-time' }).transform((s) => new Date(s));
const usageQuery = z.strictObject({ from: instant.optional(), to: instant.optional() });

/** Client routes: what an API key's account has, costs and spent. */
export function usageRoutes(deps: UsageDeps): RouteMap {
  return {
    'GET /v1/balance': async (event) => {
      const { account } = await requireClientAccount(event);
      return json(200, balanceOf(account, deps.clock.now()));
    },
    'GET /v1/prices': async (event) => {
      await requireClientAccount(event);
      return json(200, priceList(deps.pricing));
    },
    'GET /v1/usage': (event) => usage(event, deps),
    'GET /usage': async (event) => {
      const now = deps.clock.now();
      const claims = await linkClaims(event, 'usage', now);
      const account = await getAccount(claims.accountId);
      await recordVisit(account.id, 'usageViewed', now);
      const data = await usagePageData(account, deps.pricing, now, { parkedQueryId: claims.queryId });
      return html(200, renderUsagePage({ ...data, copy: await accountCopy(account) }));
    },
  };
}

async function usage(event: HttpEvent, deps: UsageDeps) {
  const { account } = await requireClientAccount(event);
  const query = parseQuery(event, usageQuery);
  await recordVisit(account.id, 'usageViewed', deps.clock.now());
  const to = query.to ?? deps.clock.now();
  const from = query.from ?? new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to) throw new ValidationError('query.from: must be before "to".');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) throw new ValidationError(`query: the range may span at most ${MAX_RANGE_DAYS} days.`);
  return json(200, summarizeUsage(await ledgerSince(account.id, from, account.shardSlots), from, to));
}

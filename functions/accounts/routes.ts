import { z } from 'zod';
import { localeSchema } from '../copy/locales-schema.ts';
import type { RouteMap } from '../http/handler.ts';
import { fields, parseBody, parseQuery, pathParam } from '../http/request.ts';
import { json, noContent } from '../http/response.ts';
import type { HttpEvent } from '../http/types.ts';
import { MAX_SHARDS } from '../metering/shard-store.ts';
import { setShardCount } from '../metering/sharded-debit.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import { isKnownPlan } from '../pricing/prices.ts';
import type { Clock } from '../shared/clock.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { randomId } from '../shared/ids.ts';
import { newApiKey } from './api-keys.ts';
import { requireAdmin } from './auth.ts';
import { ACCOUNT_ID, type AccountItem, accountView, EXTERNAL_ID, EXTERNAL_ID_MESSAGE, KEY_ID } from './model.ts';
import type { ApiKeyCreated } from './openapi.ts';
import { addKey, findAccountIdByExternalId, getAccount, putNewAccount, removeKey, updateSettings } from './store.ts';

export interface AccountDeps {
  pricing: PriceBook;
  clock: Clock;
}

export const createAccountBody = z.strictObject({
  name: fields.text(200),
  email: z.email('must be an email address').max(254),
  plan: z.string().max(64).optional(),
  externalId: z.string().regex(EXTERNAL_ID, EXTERNAL_ID_MESSAGE).optional(),
  locale: localeSchema.optional(),
});
const byExternalIdQuery = z.strictObject({ externalId: z.string({ error: 'give the externalId to look up' }).regex(EXTERNAL_ID, EXTERNAL_ID_MESSAGE) });
export const createKeyBody = z.strictObject({ name: z.optional(fields.text(100)) });
export const accountSettingsBody = z
  .strictObject({
    plan: z.string().max(64).optional(),
    autoResume: z.boolean().optional(),
    locale: localeSchema.optional(),
    shards: z.int('must be an integer').min(1).max(MAX_SHARDS).optional(),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), 'give "plan", "autoResume", "locale", "shards" or any of them');

/** Admin routes for accounts and their API keys. */
export function accountRoutes(deps: AccountDeps): RouteMap {
  return {
    'POST /v1/accounts': (event) => create(event, deps),
    'GET /v1/accounts': async (event) => {
      await requireAdmin(event);
      const { externalId } = parseQuery(event, byExternalIdQuery);
      const accountId = await findAccountIdByExternalId(externalId);
      if (!accountId) throw new NotFoundError(`There is no account with externalId "${externalId}".`);
      return json(200, accountView(await getAccount(accountId), deps.clock.now()));
    },
    'GET /v1/accounts/{accountId}': async (event) => {
      await requireAdmin(event);
      return json(200, accountView(await getAccount(pathParam(event, 'accountId', ACCOUNT_ID)), deps.clock.now()));
    },
    'PATCH /v1/accounts/{accountId}': (event) => changeSettings(event, deps),
    'POST /v1/accounts/{accountId}/keys': (event) => createKey(event, deps),
    'DELETE /v1/accounts/{accountId}/keys/{keyId}': async (event) => {
      await requireAdmin(event);
      await removeKey(pathParam(event, 'accountId', ACCOUNT_ID), pathParam(event, 'keyId', KEY_ID));
      return noContent();
    },
  };
}

function assertKnownPlan(pricing: PriceBook, plan: string): void {
  if (!isKnownPlan(pricing, plan)) throw new ValidationError(`body.plan: unknown plan "${plan}". Plans: ${pricing.plans.map((p) => p.id).join(', ')}.`);
}

/**
 * A new plan's grant starts with the next renewal; credits already granted stay as they are.
 * `autoResume`: a top-up runs the account's parked queries, oldest first, while the balance covers them.
 */
async function changeSettings(event: HttpEvent, deps: AccountDeps) {
  await requireAdmin(event);
  const accountId = pathParam(event, 'accountId', ACCOUNT_ID);
  const { value } = parseBody(event, accountSettingsBody);
  const { shards, ...settings } = value;
  if (settings.plan !== undefined) assertKnownPlan(deps.pricing, settings.plan);
  let account = Object.values(settings).some((setting) => setting !== undefined) ? await updateSettings(accountId, settings, deps.clock.now()) : undefined;
  if (shards !== undefined) account = await setShardCount(accountId, shards, () => deps.clock.now());
  // A sharded account's item holds only its reserve: answer with the total.
  if (account?.shardSlots && shards === undefined) account = await getAccount(accountId);
  return json(200, accountView(account ?? (await getAccount(accountId)), deps.clock.now()));
}

async function create(event: HttpEvent, deps: AccountDeps) {
  await requireAdmin(event);
  const { value } = parseBody(event, createAccountBody);
  const plan = value.plan ?? deps.pricing.defaultPlan;
  assertKnownPlan(deps.pricing, plan);
  const now = deps.clock.now().toISOString();
  const account: AccountItem = {
    id: randomId('acc'),
    name: value.name,
    email: value.email,
    plan,
    externalId: value.externalId,
    locale: value.locale,
    balance: 0,
    seq: 0,
    keys: {},
    createdAt: now,
    updatedAt: now,
  };
  await putNewAccount(account);
  return json(201, accountView(account, deps.clock.now()), { Location: `/v1/accounts/${account.id}` });
}

async function createKey(event: HttpEvent, deps: AccountDeps) {
  await requireAdmin(event);
  const accountId = pathParam(event, 'accountId', ACCOUNT_ID);
  const { value } = parseBody(event, createKeyBody);
  const { key, hash } = newApiKey();
  const keyId = randomId('key');
  const createdAt = deps.clock.now().toISOString();
  await addKey(accountId, keyId, { name: value.name, hash, createdAt });
  return json(201, { id: keyId, key, name: value.name, createdAt } satisfies ApiKeyCreated);
}

import { header } from '../http/request.ts';
import type { HttpEvent } from '../http/types.ts';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.ts';
import { secretsEqual } from '../shared/ids.ts';
import { adminKey } from '../shared/secrets.ts';
import { API_KEY_FORMAT, API_KEY_PREFIX, hashApiKey, looksLikeAdminKey } from './api-keys.ts';
import type { AccountItem } from './model.ts';
import { findAccount, findKeyOwner, type KeyOwner } from './store.ts';

function bearer(event: HttpEvent): string {
  const value = header(event, 'authorization');
  // The scheme is case-insensitive (RFC 9110 §11.1).
  const match = value?.match(/^Bearer ([\x21-\x7E]{1,512})$/i);
  if (!match?.[1]) throw new UnauthorizedError();
  return match[1];
}

/**
 * Admin routes: the bearer must be the admin key (`TOLLGATE_ADMIN_KEY` locally, Secrets Manager
 * on AWS, read once per container). Always `await` it: the check is the promise.
 */
export async function requireAdmin(event: HttpEvent): Promise<void> {
  const token = bearer(event);
  if (secretsEqual(token, await adminKey())) return;
  if (token.startsWith(API_KEY_PREFIX)) throw new ForbiddenError('API keys cannot use admin routes; use the admin key.');
  throw new UnauthorizedError('The admin key is not valid.');
}

// The key hash → owner mapping never changes, so a container may keep it; revocation is
// checked on the account item, which every client route reads or conditions on.
const owners = new Map<string, KeyOwner>();
const MAX_CACHED_OWNERS = 10_000;

/** Client routes: finds whose API key this is (not yet whether it is still active). */
export async function identifyClient(event: HttpEvent): Promise<KeyOwner> {
  const token = bearer(event);
  if (!API_KEY_FORMAT.test(token)) {
    // Told apart by shape, so functions that serve clients never read the admin key itself.
    if (looksLikeAdminKey(token)) throw new ForbiddenError('That looks like the admin key, which has no account; call client routes with an API key (tg_…).');
    throw new UnauthorizedError('That is not a Tollgate API key.');
  }
  const hash = hashApiKey(token);
  const cached = owners.get(hash);
  if (cached) return cached;
  const owner = await findKeyOwner(hash);
  if (!owner) throw new UnauthorizedError('This API key is unknown or has been revoked.');
  if (owners.size >= MAX_CACHED_OWNERS) owners.clear();
  owners.set(hash, owner);
  return owner;
}

export function assertKeyActive(account: AccountItem, owner: KeyOwner): void {
  if (!account.keys[owner.keyId]) throw new UnauthorizedError('This API key is unknown or has been revoked.');
}

/** Client routes that read the account: identifies the key and checks it is still active. */
export async function requireClientAccount(event: HttpEvent): Promise<{ owner: KeyOwner; account: AccountItem }> {
  const owner = await identifyClient(event);
  const account = await findAccount(owner.accountId);
  if (!account) throw new UnauthorizedError('This API key is unknown or has been revoked.');
  assertKeyActive(account, owner);
  return { owner, account };
}

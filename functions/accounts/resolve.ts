import { UnauthorizedError, UnknownAccountError } from '../shared/errors.ts';
import { ACCOUNT_ID, EXTERNAL_ID } from './model.ts';
import { findAccountIdByExternalId } from './store.ts';

/** Who a platform's own auth says the caller is: a Tollgate account id, or the platform's id of the customer. */
export type AccountRef = { accountId: string } | { externalId: string };

// The externalId → account mapping never changes once written, so a container may keep it;
// whether the account exists is checked again inside every debit's own condition.
const accountIds = new Map<string, string>();
const MAX_CACHED = 10_000;

/**
 * The account a resolver's answer names. No answer is a 401 (the request carries no identity);
 * an id that names no account is a 403: the caller is someone the platform knows, not a customer here.
 */
export async function accountIdOf(ref: AccountRef | undefined): Promise<string> {
  if (ref && 'accountId' in ref && typeof ref.accountId === 'string') {
    if (!ACCOUNT_ID.test(ref.accountId)) throw new UnknownAccountError(`"${ref.accountId}" is not a Tollgate account id.`);
    return ref.accountId;
  }
  if (ref && 'externalId' in ref && typeof ref.externalId === 'string') {
    const externalId = ref.externalId;
    const cached = accountIds.get(externalId);
    if (cached) return cached;
    const accountId = EXTERNAL_ID.test(externalId) ? await findAccountIdByExternalId(externalId) : undefined;
    if (!accountId) throw new UnknownAccountError(`There is no account for externalId "${externalId}".`);
    if (accountIds.size >= MAX_CACHED) accountIds.clear();
    accountIds.set(externalId, accountId);
    return accountId;
  }
  throw new UnauthorizedError('This request carries no identity to charge: the account resolver found none.');
}

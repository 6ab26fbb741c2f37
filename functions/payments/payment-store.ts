import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountItem } from '../accounts/model.ts';
import { conditionalWrite, documentClient, tableName } from '../shared/dynamodb.ts';
import { keys } from '../table/keys.ts';

/** A paid checkout, found again by its payment when the provider reports a refund. */
export interface PaymentItem {
  ref: string;
  accountId: string;
  /** The top-up txn the payment credited. */
  txnId: string;
  credits: number;
  /** What was paid, in the currency's smallest unit. */
  amount: number;
  currency: string;
  /** Refunded so far (smallest unit); reversals up to this amount were applied. */
  refundedAmount: number;
  createdAt: string;
}

/** Records a payment once; a redelivery leaves the first record (and its refund progress) alone. */
export async function recordPayment(payment: PaymentItem): Promise<void> {
  await conditionalWrite(
    new PutCommand({
      TableName: tableName(),
      Item: { ...keys.payment(payment.ref), entity: 'payment', ...payment },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function findPayment(ref: string): Promise<PaymentItem | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.payment(ref), ConsistentRead: true }));
  return Item as PaymentItem | undefined;
}

/** Moves the refunded amount forward (never back: refund events carry a running total and may arrive out of order). */
export async function markRefunded(ref: string, refundedAmount: number): Promise<void> {
  await conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.payment(ref),
      UpdateExpression: 'SET refundedAmount = :amount',
      ConditionExpression: 'attribute_exists(pk) AND refundedAmount < :amount',
      ExpressionAttributeValues: { ':amount': refundedAmount },
    }),
  );
}

/** Claims the receipt of a purchase for one sender; false when another delivery claimed it first. */
export function claimReceipt(accountId: string, txnId: string, at: Date): Promise<boolean> {
  return conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.txn(accountId, txnId),
      UpdateExpression: 'SET receiptSentAt = :at',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(receiptSentAt)',
      ExpressionAttributeValues: { ':at': at.toISOString() },
    }),
  );
}

/** Gives the claim back after a failed send, so that a redelivery sends the receipt. */
export async function releaseReceipt(accountId: string, txnId: string): Promise<void> {
  await documentClient().send(new UpdateCommand({ TableName: tableName(), Key: keys.txn(accountId, txnId), UpdateExpression: 'REMOVE receiptSentAt' }));
}

/** Records the subscription that pays for the account's plan, and the plan. */
export async function setSubscription(accountId: string, subscription: NonNullable<AccountItem['subscription']>, at: Date): Promise<void> {
  await conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.account(accountId),
      UpdateExpression: 'SET subscription = :subscription, #plan = :plan, updatedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#plan': 'plan' },
      ExpressionAttributeValues: { ':subscription': subscription, ':plan': subscription.plan, ':at': at.toISOString() },
    }),
  );
}

/**
 * The subscription ended: the account goes back to the default plan. Only the subscription it
 * names is ended, so a late event for an old subscription leaves a newer one alone. This period's
 * credits stay; the monthly renewal grants the default plan from the next period.
 */
export function endSubscription(accountId: string, subscriptionId: string, defaultPlan: string, at: Date): Promise<boolean> {
  return conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.account(accountId),
      UpdateExpression: 'SET #plan = :plan, updatedAt = :at REMOVE subscription',
      ConditionExpression: 'subscription.id = :id',
      ExpressionAttributeNames: { '#plan': 'plan' },
      ExpressionAttributeValues: { ':plan': defaultPlan, ':id': subscriptionId, ':at': at.toISOString() },
    }),
  );
}

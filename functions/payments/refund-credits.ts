/**
 * Credits a refund takes back: the refunded share of what the payment bought, rounded down (a
 * partial refund never takes back more than it paid for; a full refund takes back everything).
 * `refunded` is the running total refunded on the payment. Pure.
 */
export function refundedCredits(credits: number, amountPaid: number, refunded: number): number {
  if (amountPaid <= 0 || refunded <= 0) return 0;
  if (refunded >= amountPaid) return credits;
  return Math.floor((credits * refunded) / amountPaid);
}

/** A reversal never takes the balance below zero: what cannot be taken back is recorded instead. */
export function reversalSplit(toReverse: number, balance: number): { reversed: number; unrecovered: number } {
  const reversed = Math.max(0, Math.min(toReverse, balance));
  return { reversed, unrecovered: toReverse - reversed };
}

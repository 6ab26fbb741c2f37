/**
 * Business metrics, as Powertools EMF (namespace `Tollgate`, dimension `service`). The CDK
 * dashboard graphs exactly these names.
 */
export const BUSINESS_METRICS = {
  debits: 'Debits',
  insufficientCredits: 'InsufficientCredits',
  refunds: 'Refunds',
  topUps: 'TopUps',
  planGrants: 'PlanGrants',
  reversals: 'Reversals',
  /** Holds placed, settled, released by request, and released because they expired (work priced afterwards). */
  holds: 'Holds',
  holdsSettled: 'HoldsSettled',
  holdsReleased: 'HoldsReleased',
  holdsExpired: 'HoldsExpired',
  /** Payment events acknowledged without a change: unknown account, pack, plan or event type. Alarmed. */
  paymentEventsIgnored: 'PaymentEventsIgnored',
  /** Webhook deliveries that failed the signature check. Alarmed. */
  paymentWebhooksRefused: 'PaymentWebhooksRefused',
  /** Outbound webhook deliveries a receiver accepted. */
  webhooksDelivered: 'WebhooksDelivered',
  /** Outbound webhook attempts that failed (they are retried). */
  webhookAttemptsFailed: 'WebhookAttemptsFailed',
  /** Outbound webhook deliveries given up after the retry window. Alarmed. */
  webhooksFailed: 'WebhooksFailed',
  /** Webhook endpoints disabled for failing too long. Alarmed. */
  webhookEndpointsDisabled: 'WebhookEndpointsDisabled',
} as const;

export type BusinessMetric = keyof typeof BUSINESS_METRICS;

/** How far behind the table the ledger projection is, per account bucket (stream consumer). */
export const LEDGER_LAG_METRIC = 'LedgerLag';
/** Accounts are hashed into this many buckets for the ledger lag's `accountBucket` dimension. */
export const LEDGER_LAG_BUCKETS = 8;

/** Recovery funnel stages reached, one count per episode and stage (stream consumer and the usage and checkout pages). */
export const FUNNEL_STAGE_METRICS = {
  wall: 'FunnelWall',
  warned: 'FunnelWarned',
  usageViewed: 'FunnelUsageViewed',
  reminderSet: 'FunnelReminderSet',
  checkoutStarted: 'FunnelCheckoutStarted',
  paid: 'FunnelPaid',
  resumed: 'FunnelResumed',
  recovered: 'FunnelRecovered',
  lapsed: 'FunnelLapsed',
} as const;

/** Per cent of the walls of one day recovered within 48 h, published once that day's outcomes are all known (the daily funnel job). */
export const RECOVERY_RATE_METRIC = 'RecoveryRate';

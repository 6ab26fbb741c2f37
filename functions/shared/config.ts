import * as z from './schema.ts';

/** An optional ARN (a Secrets Manager secret, a function, a role, a queue). */
const arn = () => z.optional(z.string().check(z.startsWith('arn:')));
/** A whole number from an environment variable's text, within bounds, with its default. */
const wholeNumber = (min: number, fallback: number, max?: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)])), fallback);
/** Hours and the like: a number from its text, at least `min`, with its default. */
const atLeast = (min: number, fallback: number) => z._default(z.coerce.number().check(z.minimum(min)), fallback);

/**
 * Runtime configuration, read from the environment and validated. Each setting's schema is built the first
 * time the setting is read, then its value is kept for the container's life: zod schemas are costly to build
 * at cold start (about 0.15 ms each), and a function reads a handful of these forty. A missing or malformed
 * variable fails the first read of it with a clear message naming it.
 */
const settings = {
  /** The single table's name. */
  TABLE_NAME: () => z.string().check(z.minLength(1)),
  /** Endpoint override for DynamoDB Local. @default the AWS regional endpoint */
  DYNAMODB_ENDPOINT: () => z.optional(z.url()),
  /** Admin bearer key, given directly (local stack and tests). */
  TOLLGATE_ADMIN_KEY: () => z.optional(z.string().check(z.minLength(16))),
  /** On AWS: the Secrets Manager secret holding the admin key (read once per container). Ignored when TOLLGATE_ADMIN_KEY is set. */
  ADMIN_KEY_SECRET_ARN: () => arn(),
  /** How long a parked query can be resumed. @default 48 */
  PARKED_QUERY_TTL_HOURS: () => wholeNumber(48, 48, 24 * 30),
  /** Where Buy links send people when no payment provider (Stripe, or the local sandbox) is configured. @default none: a page says how to get credits */
  BILLING_URL: () => z.optional(z.url()),
  /** Public base URL of the API, for absolute links. @default derived from the request */
  TOLLGATE_PUBLIC_URL: () => z.optional(z.url()),
  /** A top-up retry with the same Idempotency-Key is replayed this long (at least 24 h); later it is refused, never applied again. @default 48 */
  IDEMPOTENCY_TTL_HOURS: () => wholeNumber(24, 48),
  /** HMAC secret for links in emails and 402 answers (≥ 32 characters). Required where links are made. */
  LINK_SIGNING_SECRET: () => z.optional(z.string().check(z.minLength(32))),
  /** On AWS: the Secrets Manager secret holding the link signing key. Ignored when LINK_SIGNING_SECRET is set. */
  LINK_SIGNING_SECRET_ARN: () => arn(),
  /** Stripe API key (`sk_…` or restricted `rk_…`), given directly (local stack, tests). Checkout uses Stripe when this or its ARN is set. */
  STRIPE_SECRET_KEY: () => z.optional(z.string().check(z.regex(/^(sk|rk)_/, 'must be a Stripe secret key (sk_… or rk_…)'))),
  /** On AWS: the Secrets Manager secret holding the Stripe API key. Ignored when STRIPE_SECRET_KEY is set. */
  STRIPE_SECRET_KEY_ARN: () => arn(),
  /** Signing secret of the Stripe webhook endpoint (`whsec_…`), given directly (local stack, tests). */
  STRIPE_WEBHOOK_SECRET: () => z.optional(z.string().check(z.startsWith('whsec_', 'must be a Stripe webhook signing secret (whsec_…)'))),
  /** On AWS: the Secrets Manager secret holding the webhook signing secret. Ignored when STRIPE_WEBHOOK_SECRET is set. */
  STRIPE_WEBHOOK_SECRET_ARN: () => arn(),
  /** Local only: the checkout sandbox that stands in for Stripe's hosted page when no Stripe key is set. @default none */
  CHECKOUT_SANDBOX_URL: () => z.optional(z.url()),
  /** How long links in emails stay valid. @default 168 (7 days) */
  LINK_TTL_HOURS: () => wholeNumber(1, 168, 24 * 90),
  /** Endpoint override for SES (the local SES endpoint). @default the AWS regional endpoint */
  SES_ENDPOINT: () => z.optional(z.url()),
  /** `off` when no SES identity is configured on AWS: the stream consumer then sends no alert emails. @default on */
  ALERT_EMAILS: () => z._default(z.enum(['on', 'off']), 'on'),
  /** Sender of alert emails; must be a verified SES identity on AWS. @default alerts@tollgate.local */
  ALERT_FROM_ADDRESS: () => z._default(z.email(), 'alerts@tollgate.local'),
  /** Display name beside the sender address (`Tollgate <alerts@…>`); empty for the bare address. @default Tollgate */
  ALERT_FROM_NAME: () => z._default(z.string().check(z.maxLength(64)), 'Tollgate'),
  /** SES configuration set for alert emails (event publishing, suppression). @default none */
  SES_CONFIGURATION_SET: () => z.optional(z.string().check(z.minLength(1))),
  /**
   * Longest a metered request's work may take. A charged txn still running after this was
   * abandoned: a retry with the same Idempotency-Key carries on with its charge. @default 30
   */
  METERED_WORK_TIMEOUT_SECONDS: () => wholeNumber(1, 30, 900),
  /** How long a function keeps the copy overrides it read before reading them again: a change reaches every surface within this. @default 60 */
  COPY_CACHE_TTL_SECONDS: () => wholeNumber(0, 60, 300),
  /** Fewest depletion episodes of a plan before its recovery rate is shown. @default 30 */
  SOCIAL_PROOF_MIN_SAMPLE: () => wholeNumber(1, 30),
  /** The reminder function EventBridge Scheduler invokes. Unset locally: the local scheduler fires reminders. */
  REMINDER_TARGET_ARN: () => arn(),
  /** Role EventBridge Scheduler assumes to invoke it. */
  SCHEDULER_ROLE_ARN: () => arn(),
  /** Where EventBridge Scheduler parks a reminder it could not deliver. @default none */
  REMINDER_DLQ_ARN: () => arn(),
  /** Schedule group for reminder schedules. @default default */
  SCHEDULER_GROUP: () => z._default(z.string().check(z.minLength(1)), 'default'),
  /** On AWS: the SQS queue that feeds the webhook delivery function. Unset locally: the local stack's in-process queue delivers. */
  WEBHOOK_QUEUE_URL: () => z.optional(z.url()),
  /** `on` lets webhook endpoints use plain http on loopback addresses (the local stack sets it); https is required otherwise. @default off */
  WEBHOOK_ALLOW_LOOPBACK_HTTP: () => z._default(z.enum(['on', 'off']), 'off'),
  /** First retry delay of a failed webhook delivery; each retry doubles it, up to an hour. @default 5000 */
  WEBHOOK_RETRY_BASE_MS: () => wholeNumber(1, 5000),
  /** How long a webhook delivery is retried before it is marked failed (at least 24). @default 26 */
  WEBHOOK_RETRY_HOURS: () => atLeast(24, 26),
  /** An endpoint whose deliveries have failed without a success for this long is disabled. @default 72 */
  WEBHOOK_DISABLE_AFTER_HOURS: () => atLeast(1, 72),
  /** After a secret rotation, deliveries are signed with the old secret too for this long. @default 24 */
  WEBHOOK_SECRET_OVERLAP_HOURS: () => atLeast(0, 24),
  /** A webhook receiver must answer within this time. @default 10000 */
  WEBHOOK_TIMEOUT_MS: () => wholeNumber(100, 10_000, 30_000),
};

type Settings = typeof settings;
export type Config = { readonly [K in keyof Settings]: z.output<ReturnType<Settings[K]>> };

let read: Partial<Record<keyof Config, unknown>> = {};

function setting<K extends keyof Config>(name: K): Config[K] {
  if (!(name in read)) {
    const parsed = z.safeParse(settings[name](), process.env[name]);
    if (!parsed.success) throw new Error(`Invalid Tollgate configuration: ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    read[name] = parsed.data;
  }
  return read[name] as Config[K];
}

/** The settings, each read and validated on first use. */
const view = Object.defineProperties(
  {},
  Object.fromEntries(Object.keys(settings).map((name) => [name, { get: () => setting(name as keyof Config), enumerable: true }])),
) as Config;

export function config(): Config {
  return view;
}

/** For tests and the local stack, which set the environment before handlers run. */
export function resetConfig(): void {
  read = {};
}

/** A setting some features cannot work without; fails with the variable's name. */
export function required<K extends keyof Config>(name: K): NonNullable<Config[K]> {
  const value = config()[name];
  if (value === undefined) throw new Error(`Missing configuration: set ${name}.`);
  return value as NonNullable<Config[K]>;
}

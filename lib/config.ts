import type { Node } from 'constructs';
import { z } from 'zod';

/**
 * Deployment configuration, read from CDK context (`cdk.json` or `-c tollgate:<key>=<value>`) and
 * validated at synth time: a bad value stops `cdk synth` with a message naming the key.
 * Every key is optional; the defaults below are what `cdk.json` documents.
 */
export const CONTEXT_PREFIX = 'tollgate:';

/** Retention periods CloudWatch Logs accepts, in days. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** `-c key=a,b` arrives as a string; cdk.json can give a real array. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter(Boolean)
        : value,
    z.array(item),
  );

const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value);
/** `-c key=true` arrives as a string; cdk.json can give a real boolean. */
const flag = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());
const optionalUrl = z.preprocess(emptyAsUnset, z.url().optional());
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const contextSchema = z.object({
  /**
   * What happens to the table, the on-failure queue and the log groups when the stack is deleted.
   * `retain` also turns on the table's deletion protection. @default 'retain'
   */
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  /** Operators' addresses subscribed to the alarm topic (each must confirm once). @default [] */
  alarmEmails: list(z.email()).default([]),
  /** How long function and access logs are kept. @default 30 */
  logRetentionDays: z.coerce
    .number()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), { message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
    .default(30),
  /** Powertools log level of every function. @default 'INFO' */
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Steady-state requests per second the API's default stage accepts. @default 100 */
  throttleRateLimit: z.coerce.number().int().positive().default(100),
  /** Burst of requests the API's default stage accepts. @default 200 */
  throttleBurstLimit: z.coerce.number().int().positive().default(200),
  /** Browser origins allowed to call the API (CORS). Empty means no CORS configuration at all. @default [] */
  corsAllowedOrigins: list(z.url()).default([]),
  /** Where Buy links send people when Stripe is not set up. @default none: a page tells them how to get credits */
  billingUrl: optionalUrl,
  /**
   * Take payments with Stripe: the stack creates the two secrets (API key, webhook signing
   * secret) for the operator to fill in, and Buy links lead to Stripe Checkout once they are. @default false
   */
  stripe: z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean()).default(false),
  /** Public base URL of the API (e.g. a custom domain) for absolute links. @default derived from the request */
  publicUrl: optionalUrl,
  /** How long a parked query can be resumed, in hours (48 h to 30 days). @default 48 */
  parkedQueryTtlHours: z.coerce
    .number()
    .int()
    .min(48)
    .max(24 * 30)
    .default(48),
  /** How long idempotency records are kept, in hours (at least 24). @default 48 */
  idempotencyTtlHours: z.coerce.number().int().min(24).default(48),
  /** How long signed links (alert emails, the 402's usage page) stay valid, in hours (1 h to 90 days). @default 168 */
  linkTtlHours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(168),
  /** X-Ray active tracing on every function (each invocation's segment: initialization, invocation, overhead). @default false */
  tracing: flag.default(false),
  /** Alarm when more than this fraction of API requests fail with a 5xx over 5 minutes. @default 0.01 */
  api5xxRateThreshold: z.coerce.number().gt(0).lt(1).default(0.01),
  /** Alarm when the stream consumer falls this far behind, in seconds: alerts are then late. @default 15 */
  streamIteratorAgeSeconds: z.coerce.number().int().positive().default(15),
  /**
   * The SES identity alert emails are sent from: a domain (`example.com`, verified by the DKIM
   * records the stack outputs) or a single address (verified by clicking the link SES sends).
   * @default none - balance alert emails are off until one is configured
   */
  sesIdentity: z.preprocess(emptyAsUnset, z.union([z.email(), z.string().regex(DOMAIN)], { error: 'must be a domain name or an email address' }).optional()),
  /**
   * Whether the stack creates the `sesIdentity` in SES (and outputs its DKIM records). Off, it sends from
   * an identity you verified already and never creates, changes or deletes it. A created identity is
   * retained when the stack is deleted. @default false
   */
  createSesIdentity: flag.default(false),
  /** The From address of alert emails; must belong to `sesIdentity`. @default `alerts@<domain>`, or the identity address */
  alertFromAddress: z.preprocess(emptyAsUnset, z.email().optional()),
  /**
   * The price book: the path of a JSON file (relative to the project root, e.g. `tollgate.prices.json`)
   * or the object itself; validated by `functions/pricing/price-book.ts` when the stack is built.
   * @default none - give it here or as the stack's `priceBook` prop
   */
  priceBook: z.preprocess(
    emptyAsUnset,
    z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'must be a JSON file path or a price book object' }).optional(),
  ),
  /** Deploys the example metered service (`/v1/queries`, search/report/export over a parts catalogue). @default false */
  demoService: z.union([z.boolean(), z.stringbool()], { error: 'must be true or false' }).default(false),
});

/** Whether an address can be sent from an identity: the address itself, or an address at the domain or a subdomain. */
export function identityCovers(identity: string, address: string): boolean {
  const lower = address.toLowerCase();
  const id = identity.toLowerCase();
  if (id.includes('@')) return lower === id;
  const domain = lower.slice(lower.lastIndexOf('@') + 1);
  return domain === id || domain.endsWith(`.${id}`);
}

export type TollgateConfig = z.infer<typeof contextSchema>;
export type RemovalPolicyName = TollgateConfig['removalPolicy'];

/** The context keys Tollgate reads, without the `tollgate:` prefix. */
export const configKeys = Object.keys(contextSchema.shape) as (keyof TollgateConfig)[];

/** Validates a plain object of settings (keys without prefix); throws one error listing every problem. */
export function parseConfig(input: Record<string, unknown>): TollgateConfig {
  const unknownKeys = Object.keys(input).filter((key) => !(configKeys as string[]).includes(key));
  const parsed = contextSchema.safeParse(input);
  const problems = [
    ...unknownKeys.map((key) => `${CONTEXT_PREFIX}${key}: unknown setting (known: ${configKeys.join(', ')})`),
    ...(parsed.success ? crossFieldProblems(parsed.data) : parsed.error.issues.map((issue) => `${CONTEXT_PREFIX}${issue.path.join('.')}: ${issue.message}`)),
  ];
  if (problems.length > 0 || !parsed.success) {
    throw new Error(`Invalid Tollgate configuration in CDK context:\n  - ${problems.join('\n  - ')}`);
  }
  return parsed.data;
}

function crossFieldProblems(config: TollgateConfig): string[] {
  const { sesIdentity, alertFromAddress } = config;
  if (alertFromAddress && !sesIdentity)
    return [`${CONTEXT_PREFIX}alertFromAddress: set ${CONTEXT_PREFIX}sesIdentity too (the domain or address SES sends from)`];
  if (config.createSesIdentity && !sesIdentity)
    return [`${CONTEXT_PREFIX}createSesIdentity: set ${CONTEXT_PREFIX}sesIdentity too (the domain or address to create)`];
  if (alertFromAddress && sesIdentity && !identityCovers(sesIdentity, alertFromAddress)) {
    return [`${CONTEXT_PREFIX}alertFromAddress: ${alertFromAddress} is not covered by the SES identity ${sesIdentity}`];
  }
  return [];
}

/** Reads every `tollgate:*` key from the construct's CDK context and validates it. */
export function configFromContext(node: Node): TollgateConfig {
  const all = node.getAllContext() as Record<string, unknown>;
  const settings = Object.fromEntries(
    Object.entries(all)
      .filter(([key]) => key.startsWith(CONTEXT_PREFIX))
      .map(([key, value]) => [key.slice(CONTEXT_PREFIX.length), value]),
  );
  return parseConfig(settings);
}

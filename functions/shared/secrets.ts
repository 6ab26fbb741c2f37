import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Config, config } from './config.ts';

let client: SecretsManagerClient | undefined;
const secrets = new Map<string, Promise<string>>();

/**
 * A Secrets Manager secret's `SecretString`, read once per container and cached. A failed read
 * is not cached, so the next request tries again. The client is loaded with the first read: most
 * containers of a metered function never read a secret (the link key signs only 402 answers' links),
 * so their cold start does not evaluate it (issue 12).
 */
export function secretString(secretArn: string): Promise<string> {
  let value = secrets.get(secretArn);
  if (!value) {
    value = readSecret(secretArn);
    value.catch(() => secrets.delete(secretArn));
    secrets.set(secretArn, value);
  }
  return value;
}

async function readSecret(secretArn: string): Promise<string> {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  client ??= new SecretsManagerClient({ maxAttempts: 3 });
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error(`The secret ${secretArn} has no SecretString.`);
  return SecretString;
}

type DirectSecret = 'TOLLGATE_ADMIN_KEY' | 'LINK_SIGNING_SECRET' | 'STRIPE_SECRET_KEY' | 'STRIPE_WEBHOOK_SECRET';
type SecretArn = 'ADMIN_KEY_SECRET_ARN' | 'LINK_SIGNING_SECRET_ARN' | 'STRIPE_SECRET_KEY_ARN' | 'STRIPE_WEBHOOK_SECRET_ARN';

/**
 * A secret setting given directly in the environment (local stack, tests) or, on AWS, as the
 * ARN of a Secrets Manager secret whose SecretString is the value. The direct value wins.
 */
async function configuredSecret(direct: DirectSecret, arn: SecretArn, minLength: number): Promise<string> {
  const settings: Config = config();
  const given = settings[direct];
  if (given) return given;
  const secretArn = settings[arn];
  if (!secretArn) throw new Error(`Missing configuration: set ${direct} or ${arn}.`);
  const value = await secretString(secretArn);
  if (value.length < minLength) throw new Error(`The secret in ${arn} is shorter than ${minLength} characters.`);
  return value;
}

/** The admin bearer key: `TOLLGATE_ADMIN_KEY`, or the secret named by `ADMIN_KEY_SECRET_ARN`. */
export const adminKey = (): Promise<string> => configuredSecret('TOLLGATE_ADMIN_KEY', 'ADMIN_KEY_SECRET_ARN', 16);

/** The HMAC key of signed links: `LINK_SIGNING_SECRET`, or the secret named by `LINK_SIGNING_SECRET_ARN`. */
export const linkSigningSecret = (): Promise<string> => configuredSecret('LINK_SIGNING_SECRET', 'LINK_SIGNING_SECRET_ARN', 32);

/**
 * A secret the operator provides (a payment provider's keys): given directly, or in a Secrets
 * Manager secret the stack creates with a placeholder. Undefined until a value of the expected
 * shape is there, so the feature stays off instead of failing.
 */
async function providedSecret(direct: DirectSecret, arn: SecretArn, shape: RegExp): Promise<string | undefined> {
  const settings: Config = config();
  const value = settings[direct] ?? (settings[arn] ? await secretString(settings[arn]) : undefined);
  return value && shape.test(value) ? value : undefined;
}

/** The Stripe API key (`sk_…`/`rk_…`): `STRIPE_SECRET_KEY`, or the secret named by `STRIPE_SECRET_KEY_ARN`. */
export const stripeApiKey = (): Promise<string | undefined> => providedSecret('STRIPE_SECRET_KEY', 'STRIPE_SECRET_KEY_ARN', /^(sk|rk)_\S+$/);

/** The Stripe webhook signing secret (`whsec_…`): `STRIPE_WEBHOOK_SECRET`, or the secret named by `STRIPE_WEBHOOK_SECRET_ARN`. */
export const stripeWebhookSecret = (): Promise<string | undefined> => providedSecret('STRIPE_WEBHOOK_SECRET', 'STRIPE_WEBHOOK_SECRET_ARN', /^whsec_\S+$/);

import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RemovalPolicyName } from './config.ts';

export interface StripeSecretsProps {
  /** @default 'retain' */
  readonly removalPolicy?: RemovalPolicyName;
}

/** Until the operator puts the real value, functions see this and keep checkout off (never a failure). */
const PLACEHOLDER = 'not-set: put the value from the Stripe Dashboard here';

/**
 * The two secrets Stripe gives the operator: the API key that creates Checkout Sessions and the
 * webhook endpoint's signing secret. The stack creates them holding a placeholder; the operator
 * puts the real values (`aws secretsmanager put-secret-value`), and containers read them once.
 * Checkout and the webhook stay off until values of the right shape (`sk_`/`rk_`, `whsec_`) are in.
 */
export class StripeSecrets extends Construct {
  readonly apiKey: Secret;
  readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string, props: StripeSecretsProps = {}) {
    super(scope, id);
    const removalPolicy = (props.removalPolicy ?? 'retain') === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const secret = (name: string, description: string) => {
      const created = new Secret(this, name, { description, secretStringValue: SecretValue.unsafePlainText(PLACEHOLDER), removalPolicy });
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'Issued by Stripe, not by AWS: it is rotated in the Stripe Dashboard and then put here by the operator; a rotation Lambda cannot mint it.',
      });
      return created;
    };
    this.apiKey = secret('ApiKey', 'Tollgate: Stripe secret API key (sk_… or a restricted rk_… key allowed to create Checkout Sessions).');
    this.webhookSecret = secret('WebhookSecret', 'Tollgate: signing secret (whsec_…) of the Stripe webhook endpoint <API URL>/v1/webhooks/stripe.');
  }

  /** The environment that tells functions checkout is offered (an ARN, not the secret): every function that makes Buy links. */
  get environment(): Record<string, string> {
    return { STRIPE_SECRET_KEY_ARN: this.apiKey.secretArn };
  }

  /** Lets the payments function read both secrets (secretsmanager:GetSecretValue on these two only) and tells it where they are. */
  grantReadTo(fn: LambdaFunction): void {
    fn.addEnvironment('STRIPE_SECRET_KEY_ARN', this.apiKey.secretArn);
    fn.addEnvironment('STRIPE_WEBHOOK_SECRET_ARN', this.webhookSecret.secretArn);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.apiKey.secretArn, this.webhookSecret.secretArn] }));
  }
}

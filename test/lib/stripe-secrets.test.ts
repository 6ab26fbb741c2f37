import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TollgateStack } from '../../lib/tollgate-stack.ts';
import { logicalIdOf, policyStatements, resourcesOf, synthTollgate } from './synth.ts';

let stack: TollgateStack;
let template: Template;
beforeAll(() => {
  ({ stack, template } = synthTollgate({ context: { 'tollgate:stripe': 'true' } }));
});

const variablesOf = (fn: Parameters<typeof logicalIdOf>[1]) => template.toJSON().Resources[logicalIdOf(stack, fn)].Properties.Environment.Variables;

describe('tollgate:stripe', () => {
  it('is off by default: no Stripe secrets, and Buy links fall back to BILLING_URL or the how-to page', () => {
    const { stack: plain } = synthTollgate();
    expect(plain.stripeSecrets).toBeUndefined();
  });

  it('creates the two operator-provided secrets holding a placeholder, never a value that looks like a key', () => {
    const secrets = stack.stripeSecrets;
    if (!secrets) throw new Error('tollgate:stripe=true creates the Stripe secrets');
    for (const secret of [secrets.apiKey, secrets.webhookSecret]) {
      const value = String(resourcesOf(template, 'AWS::SecretsManager::Secret')[logicalIdOf(stack, secret)]?.Properties.SecretString);
      expect(value).toMatch(/^not-set/);
    }
  });

  it('lets only the payments function read them, and tells every link maker that checkout is offered', () => {
    const secrets = stack.stripeSecrets;
    if (!secrets) throw new Error('tollgate:stripe=true creates the Stripe secrets');
    const refs = [secrets.apiKey, secrets.webhookSecret].map((secret) => JSON.stringify({ Ref: logicalIdOf(stack, secret) }));
    const readers = policyStatements(template).filter((statement) => statement.Resource.some((resource) => refs.includes(JSON.stringify(resource))));
    expect(readers.map((statement) => statement.Action)).toEqual([['secretsmanager:GetSecretValue']]);
    expect(readers[0]?.policy).toBe(logicalIdOf(stack, stack.httpFunctions.payments.role?.node.findChild('DefaultPolicy') as never));
    expect(variablesOf(stack.httpFunctions.payments)).toMatchObject({
      STRIPE_SECRET_KEY_ARN: { Ref: logicalIdOf(stack, secrets.apiKey) },
      STRIPE_WEBHOOK_SECRET_ARN: { Ref: logicalIdOf(stack, secrets.webhookSecret) },
    });
    const demo = stack.httpFunctions.queries ? [stack.httpFunctions.queries] : [];
    for (const fn of [...demo, stack.httpFunctions.usage, stack.balanceStream.function]) {
      expect(variablesOf(fn).STRIPE_SECRET_KEY_ARN).toEqual({ Ref: logicalIdOf(stack, secrets.apiKey) });
      expect(variablesOf(fn).STRIPE_WEBHOOK_SECRET_ARN).toBeUndefined();
    }
  });

  it('alarms on ignored payment events and refused webhook deliveries', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    for (const metric of ['PaymentEventsIgnored', 'PaymentWebhooksRefused']) {
      const alarm = alarms.find((candidate) => JSON.stringify(candidate).includes(`"MetricName":"${metric}"`));
      expect(alarm, metric).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(JSON.stringify(alarm)).toContain('"Namespace":"Tollgate"');
    }
  });

  it('outputs the webhook URL to register with Stripe', () => {
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(['StripeWebhookUrl', 'StripeApiKeySecretArn', 'StripeWebhookSecretArn']));
  });

  it('stays cdk-nag clean', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});

import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { configKeys, parseConfig } from '../../lib/config.ts';
import { TollgateStack } from '../../lib/tollgate-stack.ts';
import { cdkJsonContext, resourcesOf, synthTollgate } from './synth.ts';

const withoutPrefix = (context: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(context)
      .filter(([key]) => key.startsWith('tollgate:'))
      .map(([key, value]) => [key.slice('tollgate:'.length), value]),
  );

describe('parseConfig', () => {
  it('documents every setting in cdk.json, with values equal to the defaults but for this app’s own price book and demo', () => {
    const shipped = withoutPrefix(cdkJsonContext);
    expect(Object.keys(shipped).sort()).toEqual(configKeys.filter((key) => !['billingUrl', 'publicUrl'].includes(key)).sort());
    expect(parseConfig(shipped)).toEqual({ ...parseConfig({}), priceBook: 'tollgate.prices.json', demoService: true });
  });

  it('applies the documented defaults', () => {
    expect(parseConfig({})).toEqual({
      removalPolicy: 'retain',
      alarmEmails: [],
      logRetentionDays: 30,
      logLevel: 'INFO',
      throttleRateLimit: 100,
      throttleBurstLimit: 200,
      corsAllowedOrigins: [],
      parkedQueryTtlHours: 48,
      idempotencyTtlHours: 48,
      linkTtlHours: 168,
      tracing: false,
      createSesIdentity: false,
      api5xxRateThreshold: 0.01,
      streamIteratorAgeSeconds: 15,
      stripe: false,
      demoService: false,
    });
  });

  it('accepts the strings `cdk -c key=value` passes', () => {
    expect(
      parseConfig({
        alarmEmails: 'ops@example.com, oncall@example.com',
        logRetentionDays: '90',
        throttleRateLimit: '50',
        billingUrl: 'https://example.com/billing',
        tracing: 'true',
        createSesIdentity: 'false',
      }),
    ).toMatchObject({
      tracing: true,
      createSesIdentity: false,
      alarmEmails: ['ops@example.com', 'oncall@example.com'],
      logRetentionDays: 90,
      throttleRateLimit: 50,
      billingUrl: 'https://example.com/billing',
    });
  });

  it.each([
    [{ removalPolicy: 'snapshot' }, 'tollgate:removalPolicy'],
    [{ alarmEmails: ['not-an-address'] }, 'tollgate:alarmEmails.0'],
    [{ logRetentionDays: 31 }, 'tollgate:logRetentionDays: must be one of 1, 3, 5, 7, 14, 30'],
    [{ parkedQueryTtlHours: 12 }, 'tollgate:parkedQueryTtlHours'],
    [{ idempotencyTtlHours: 1 }, 'tollgate:idempotencyTtlHours'],
    [{ linkTtlHours: 0 }, 'tollgate:linkTtlHours'],
    [{ tracing: 'yes' }, 'tollgate:tracing'],
    [{ createSesIdentity: true }, 'tollgate:createSesIdentity: set tollgate:sesIdentity too'],
    [{ billingUrl: 'billing' }, 'tollgate:billingUrl'],
    [{ api5xxRateThreshold: 5 }, 'tollgate:api5xxRateThreshold'],
    [{ alarmEmail: 'ops@example.com' }, 'tollgate:alarmEmail: unknown setting'],
    [{ sesIdentity: 'not a domain' }, 'tollgate:sesIdentity: must be a domain name or an email address'],
    [{ alertFromAddress: 'alerts@example.com' }, 'tollgate:alertFromAddress: set tollgate:sesIdentity too'],
    [
      { sesIdentity: 'example.com', alertFromAddress: 'alerts@example.org' },
      'tollgate:alertFromAddress: alerts@example.org is not covered by the SES identity example.com',
    ],
    [{ sesIdentity: 'ops@example.com', alertFromAddress: 'alerts@example.com' }, 'not covered by the SES identity ops@example.com'],
  ])('rejects %j, naming the key', (input, message) => {
    expect(() => parseConfig(input)).toThrow(message);
  });

  it('accepts a domain or an address as the SES identity, and a sender it covers', () => {
    expect(parseConfig({ sesIdentity: 'example.com' })).toMatchObject({ sesIdentity: 'example.com' });
    expect(parseConfig({ sesIdentity: 'example.com', alertFromAddress: 'alerts@mail.example.com' })).toMatchObject({
      alertFromAddress: 'alerts@mail.example.com',
    });
    expect(parseConfig({ sesIdentity: 'ops@example.com', alertFromAddress: 'OPS@example.com' })).toMatchObject({ sesIdentity: 'ops@example.com' });
    expect(parseConfig({ sesIdentity: '', alertFromAddress: '' })).toEqual(parseConfig({}));
  });

  it('lists every problem at once', () => {
    expect(() => parseConfig({ removalPolicy: 'x', logLevel: 'LOUD' })).toThrow(/removalPolicy[\s\S]*logLevel/);
  });
});

describe('configuration at synth time', () => {
  it('fails the synth with a clear error when the context is invalid', () => {
    const app = new App({ context: { 'tollgate:logRetentionDays': 'forever', 'aws:cdk:bundling-stacks': [] } });
    expect(() => new TollgateStack(app, 'Tollgate')).toThrow('Invalid Tollgate configuration in CDK context');
  });

  it('lets a throwaway stack be destroyed: no retention, no deletion protection', () => {
    const { template } = synthTollgate({ context: { 'tollgate:removalPolicy': 'destroy' } });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: { DeletionProtectionEnabled: false } });
    for (const type of ['AWS::Logs::LogGroup', 'AWS::SQS::Queue', 'AWS::SecretsManager::Secret', 'AWS::KMS::Key']) {
      for (const resource of Object.values(resourcesOf(template, type))) expect(resource.DeletionPolicy, type).toBe('Delete');
    }
  });

  it('subscribes configured operators to the alarm topic and configures CORS only for configured origins', () => {
    const { template } = synthTollgate({
      context: { 'tollgate:alarmEmails': ['ops@example.com'], 'tollgate:corsAllowedOrigins': ['https://app.example.com'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: { AllowOrigins: ['https://app.example.com'], AllowHeaders: ['authorization', 'content-type', 'idempotency-key'] },
    });
  });

  it('passes runtime settings to the functions', () => {
    const { template } = synthTollgate({ context: { 'tollgate:billingUrl': 'https://example.com/billing', 'tollgate:parkedQueryTtlHours': 72 } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { BILLING_URL: 'https://example.com/billing', PARKED_QUERY_TTL_HOURS: '72', IDEMPOTENCY_TTL_HOURS: '48' } },
    });
  });
});

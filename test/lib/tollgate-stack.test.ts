import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { httpFunctions } from '../../functions/routes.ts';
import { FUNNEL_STAGE_METRICS, RECOVERY_RATE_METRIC } from '../../functions/shared/metrics-names.ts';
import { tableDefinition } from '../../functions/table/definition.ts';
import { keys } from '../../functions/table/keys.ts';
import { ADMIN_KEY_SECRET_ARN_ENV } from '../../lib/admin-key-secret.ts';
import { LINK_SIGNING_SECRET_ARN_ENV } from '../../lib/link-signing-secret.ts';
import { meteredTableAccess } from '../../lib/metered-function.ts';
import { tableActions } from '../../lib/tollgate-function.ts';
import type { TollgateStack } from '../../lib/tollgate-stack.ts';
import { type CfnResource, logicalIdOf, resourcesOf, synthTollgate } from './synth.ts';

let stack: TollgateStack;
let template: Template;

beforeAll(() => {
  // Without esbuild: bundling is tested on one function (tollgate-function.test.ts) and on every function from the
  // packed tarball (test/package/consumer.test.ts).
  ({ stack, template } = synthTollgate());
});

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * Functions besides the HTTP ones: the stream consumer, the reminder firing function, the plan renewal job, the
 * abandoned-charge sweeper, the daily funnel job, the weekly and monthly digest jobs and the webhook delivery worker.
 */
const NON_HTTP_FUNCTIONS = 8;

/** Every IAM statement of the stack, with the policy it belongs to. */
function statements(): { policy: string; Action: string[]; Resource: unknown[]; Condition?: unknown }[] {
  return Object.entries(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(([policy, resource]) =>
    (resource.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[]).map((statement) => ({
      policy,
      Action: asArray(statement.Action),
      Resource: asArray(statement.Resource),
      Condition: statement.Condition,
    })),
  );
}

/** Statements of the policy attached to one function's role. */
function statementsOf(fn: { role?: { node: { tryFindChild(id: string): unknown } } }) {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy') as { node: { defaultChild?: unknown } } | undefined;
  if (!policy) return [];
  const id = logicalIdOf(stack, policy);
  return statements().filter((statement) => statement.policy === id);
}

/** Statements of a function's policy that name this secret; IAM may merge several secrets into one statement. */
function secretReads(fn: Parameters<typeof statementsOf>[0], secretRef: { Ref: string }) {
  return statementsOf(fn).filter((statement) => statement.Resource.some((resource) => JSON.stringify(resource) === JSON.stringify(secretRef)));
}

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged errors', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    const errors = report.violations
      .filter((violation) => violation.severity === 'error')
      .map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(errors).toEqual([]);
  });

  it('reports no unacknowledged warnings either', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('has a written reason beside every acknowledgment', () => {
    const acknowledgments = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((entry) => Object.values(entry.data as Record<string, unknown>));
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const reason of acknowledgments) expect(String(reason).length).toBeGreaterThan(20);
  });
});

describe('functions', () => {
  it('creates one function per HTTP function plus the stream consumer, the reminder firing function, the renewal job, the sweeper, the funnel job, the digest jobs and the webhook worker, and nothing else', () => {
    template.resourceCountIs('AWS::Lambda::Function', Object.keys(httpFunctions).length + NON_HTTP_FUNCTIONS);
  });

  it.each([...Object.keys(httpFunctions), 'streams'])('the %s function runs Node.js 24 on arm64 with Powertools settings', (name) => {
    const construct = name === 'streams' ? stack.balanceStream.function : stack.httpFunctions[name as keyof typeof httpFunctions]!;
    const fn = template.toJSON().Resources[logicalIdOf(stack, construct)] as CfnResource;
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'tollgate', POWERTOOLS_LOG_LEVEL: 'INFO', NODE_OPTIONS: '--enable-source-maps' } },
    });
    expect(fn.Properties.MemorySize).toBeGreaterThanOrEqual(512);
    expect(fn.Properties.Timeout).toBeLessThanOrEqual(30);
  });

  it('gives each function a code asset of its own', () => {
    for (const fn of Object.values(resourcesOf(template, 'AWS::Lambda::Function'))) {
      expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    }
  });

  it('gives every function that touches the table its name, and the health function none', () => {
    for (const [name, fn] of Object.entries(stack.httpFunctions)) {
      const variables = template.toJSON().Resources[logicalIdOf(stack, fn)].Properties.Environment.Variables;
      if (name === 'health') expect(variables.TABLE_NAME).toBeUndefined();
      else expect(variables.TABLE_NAME).toEqual({ Ref: logicalIdOf(stack, stack.ledger.table) });
    }
  });
});

describe('ledger table', () => {
  it('is built from the table definition, retained, protected, recoverable and encrypted', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: tableDefinition.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: tableDefinition.sortKey.name, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: tableDefinition.partitionKey.name, AttributeType: tableDefinition.partitionKey.type },
          { AttributeName: tableDefinition.sortKey.name, AttributeType: tableDefinition.sortKey.type },
        ]),
        BillingMode: tableDefinition.billingMode,
        StreamSpecification: { StreamViewType: tableDefinition.streamViewType },
        TimeToLiveSpecification: { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      },
    });
  });
});

describe('stream consumer', () => {
  it('reports partial failures, bisects, retries a bounded number of times and parks failures in SQS', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, stack.ledger.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(stack, stack.balanceStream.onFailureQueue), 'Arn'] } } },
    });
  });

  it('reads up to 1,000 records a batch, waits at most a second, and runs ten batches of a shard at once', () => {
    // Per-account order holds because Lambda keeps one partition key's records in order and all of an account's items share `ACCOUNT#<id>`.
    expect(keys.txn('acc_1', 'q_1').pk).toBe(keys.account('acc_1').pk);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1000, MaximumBatchingWindowInSeconds: 1, ParallelizationFactor: 10 });
  });

  it('may write ledger entries in batches, on the table only', () => {
    const batchWrites = statementsOf(stack.balanceStream.function).filter((statement) => statement.Action.includes('dynamodb:BatchWriteItem'));
    expect(batchWrites).toEqual([expect.objectContaining({ Resource: [{ 'Fn::GetAtt': [logicalIdOf(stack, stack.ledger.table), 'Arn'] }] })]);
  });

  it('wakes only for account items and sub-balances, for txns refused for credits (inserted so, or moved there from running), and for parked txns that change (resumes)', () => {
    const mapping = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'))[0];
    const patterns = (mapping!.Properties.FilterCriteria.Filters as { Pattern: string }[]).map((filter) => JSON.parse(filter.Pattern));
    expect(patterns).toEqual([
      { dynamodb: { NewImage: { entity: { S: ['account'] } } } },
      { dynamodb: { NewImage: { entity: { S: ['shard'] } } } },
      { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['txn'] }, status: { S: ['parked', 'refused'] } } } },
      {
        eventName: ['MODIFY'],
        dynamodb: { OldImage: { entity: { S: ['txn'] }, status: { S: ['running'] } }, NewImage: { status: { S: ['parked', 'refused'] } } },
      },
      { eventName: ['MODIFY'], dynamodb: { OldImage: { entity: { S: ['txn'] }, status: { S: ['parked'] } } } },
    ]);
  });

  it('gets the runtime settings, the link signing key and the API URL for the links in alert emails', () => {
    const variables = template.toJSON().Resources[logicalIdOf(stack, stack.balanceStream.function)].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      TABLE_NAME: { Ref: logicalIdOf(stack, stack.ledger.table) },
      LINK_SIGNING_SECRET_ARN: { Ref: logicalIdOf(stack, stack.linkSigningKey.secret) },
      PARKED_QUERY_TTL_HOURS: '48',
      TOLLGATE_PUBLIC_URL: { 'Fn::Join': ['', expect.arrayContaining([{ Ref: logicalIdOf(stack, stack.api.api) }])] },
    });
  });

  it('sends no alert emails and may not send any until an SES identity is configured', () => {
    const variables = template.toJSON().Resources[logicalIdOf(stack, stack.balanceStream.function)].Properties.Environment.Variables;
    expect(variables.ALERT_EMAILS).toBe('off');
    expect(variables.ALERT_FROM_ADDRESS).toBeUndefined();
    expect(statements().filter((statement) => statement.Action.some((action) => action.startsWith('ses:')))).toEqual([]);
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
  });

  it('keeps its on-failure queue encrypted, TLS-only and for 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('least privilege', () => {
  it('grants no wildcard actions', () => {
    for (const statement of statements()) {
      for (const action of statement.Action) expect(action, statement.policy).not.toMatch(/^\*$|:\*$/);
    }
  });

  it('names a resource in every statement except dynamodb:ListStreams, which IAM cannot scope', () => {
    const wildcards = statements().filter((statement) => statement.Resource.includes('*'));
    expect(wildcards.map((statement) => statement.Action)).toEqual([['dynamodb:ListStreams']]);
  });

  it('attaches no managed policies to function roles (no AWSLambdaBasicExecutionRole)', () => {
    for (const role of Object.values(resourcesOf(template, 'AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it.each([
    ['health', undefined],
    ['accounts', 'RW'],
    ['metering', 'RW'],
    ['usage', 'RW'],
    ['alerts', 'RW'],
    ['reminders', 'RW'],
    ['reports', 'RW'],
  ] as const)('the %s function gets exactly %s table access', (name, access) => {
    const tableStatements = statementsOf(stack.httpFunctions[name]!).filter((statement) => statement.Action.some((action) => action.startsWith('dynamodb:')));
    if (!access) {
      expect(tableStatements).toEqual([]);
      return;
    }
    expect(tableStatements).toHaveLength(1);
    expect([...(tableStatements[0]?.Action ?? [])].sort()).toEqual([...tableActions[access]].sort());
    expect(tableStatements[0]?.Resource).toEqual([{ 'Fn::GetAtt': [logicalIdOf(stack, stack.ledger.table), 'Arn'] }]);
  });

  it('the queries function, a MeteredFunction, gets only what meter() needs: only account, key and statistics items, no Scan', () => {
    const tableStatements = statementsOf(stack.httpFunctions.queries!).filter((statement) => statement.Action.some((action) => action.startsWith('dynamodb:')));
    expect(tableStatements.map(({ Action, Condition }) => ({ Action, Condition }))).toEqual(
      Object.values(meteredTableAccess).map(({ actions, leadingKeys }) => ({
        Action: [...actions],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } },
      })),
    );
  });

  it('lets only the admin functions read the admin key (client functions recognize it by its shape), and tells them where it is', () => {
    const secretRef = { Ref: logicalIdOf(stack, stack.adminKey.secret) };
    for (const [name, fn] of Object.entries(stack.httpFunctions)) {
      const reads = secretReads(fn, secretRef);
      const variables = template.toJSON().Resources[logicalIdOf(stack, fn)].Properties.Environment.Variables;
      if (!['accounts', 'metering', 'reports', 'webhooks'].includes(name)) {
        expect(reads, name).toEqual([]);
        expect(variables[ADMIN_KEY_SECRET_ARN_ENV], name).toBeUndefined();
      } else {
        expect(reads).toEqual([expect.objectContaining({ Action: ['secretsmanager:GetSecretValue'] })]);
        expect(variables[ADMIN_KEY_SECRET_ARN_ENV]).toEqual(secretRef);
      }
    }
  });

  it('generates the admin key in Secrets Manager: 64 letters and digits', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
  });
});

describe('signed links', () => {
  it('lets the functions that make or check links read the link signing key, and no other', () => {
    const secretRef = { Ref: logicalIdOf(stack, stack.linkSigningKey.secret) };
    const functions: [string, typeof stack.balanceStream.function][] = [...Object.entries(stack.httpFunctions), ['streams', stack.balanceStream.function]];
    const withKey: string[] = [];
    for (const [name, fn] of functions) {
      const reads = secretReads(fn, secretRef);
      const variables = template.toJSON().Resources[logicalIdOf(stack, fn)].Properties.Environment.Variables;
      if (variables[LINK_SIGNING_SECRET_ARN_ENV]) {
        expect(variables[LINK_SIGNING_SECRET_ARN_ENV], name).toEqual(secretRef);
        expect(reads, name).toEqual([expect.objectContaining({ Action: ['secretsmanager:GetSecretValue'] })]);
        withKey.push(name);
      } else {
        expect(reads, name).toEqual([]);
      }
    }
    // accounts serves the operator console, whose session cookie is signed with the same key.
    expect(withKey).toEqual(expect.arrayContaining(['alerts', 'queries', 'usage', 'streams', 'accounts']));
    expect(withKey).not.toEqual(expect.arrayContaining(['health']));
    expect(withKey.filter((name) => ['health', 'metering'].includes(name))).toEqual([]);
  });

  it('generates the link signing key in Secrets Manager, separate from the admin key', () => {
    expect(logicalIdOf(stack, stack.linkSigningKey.secret)).not.toBe(logicalIdOf(stack, stack.adminKey.secret));
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
  });
});

describe('template', () => {
  it('has no dependency cycle (Ref, Fn::GetAtt, Fn::Sub and DependsOn between resources)', () => {
    const resources = template.toJSON().Resources as Record<string, CfnResource & { DependsOn?: string | string[] }>;
    const edges = new Map<string, Set<string>>();
    const collect = (value: unknown, into: Set<string>): void => {
      if (Array.isArray(value)) for (const item of value) collect(item, into);
      else if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (key === 'Ref' && typeof inner === 'string') into.add(inner);
          else if (key === 'Fn::GetAtt') into.add(String((inner as unknown[])[0]));
          else if (key === 'Fn::Sub') for (const [, name] of JSON.stringify(inner).matchAll(/\$\{([A-Za-z0-9]+)/g)) into.add(name!);
          collect(inner, into);
        }
      }
    };
    for (const [id, resource] of Object.entries(resources)) {
      const refs = new Set<string>(asArray(resource.DependsOn ?? []));
      collect(resource.Properties, refs);
      edges.set(id, new Set([...refs].filter((ref) => ref in resources)));
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string, path: string[]): void => {
      if (state.get(id) === 'done') return;
      if (state.get(id) === 'visiting') throw new Error(`cycle: ${[...path, id].join(' → ')}`);
      state.set(id, 'visiting');
      for (const next of edges.get(id) ?? []) visit(next, [...path, id]);
      state.set(id, 'done');
    };
    for (const id of edges.keys()) visit(id, []);
  });

  it('gives every function that makes signed links the API URL as its public base URL', () => {
    const apiRef = { Ref: logicalIdOf(stack, stack.api.api) };
    for (const fn of [stack.balanceStream.function, stack.httpFunctions.queries!, stack.httpFunctions.usage, stack.httpFunctions.alerts]) {
      const variables = template.toJSON().Resources[logicalIdOf(stack, fn)].Properties.Environment.Variables;
      expect(JSON.stringify(variables.TOLLGATE_PUBLIC_URL)).toContain(JSON.stringify(apiRef));
    }
  });
});

describe('alert emails with an SES identity', () => {
  const withIdentity = (context: Record<string, unknown>) => {
    const synth = synthTollgate({ context });
    const fn = synth.template.toJSON().Resources[logicalIdOf(synth.stack, synth.stack.balanceStream.function)] as CfnResource;
    const sesStatements = Object.values(resourcesOf(synth.template, 'AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).filter((statement) =>
        asArray(statement.Action).some((action) => action.startsWith('ses:')),
      ),
    );
    const policyOfStream = logicalIdOf(synth.stack, synth.stack.balanceStream.function.role?.node.tryFindChild('DefaultPolicy') as never);
    return { ...synth, variables: fn.Properties.Environment.Variables, sesStatements, policyOfStream };
  };

  it('uses an existing identity by name: creates, changes and deletes nothing in SES but its own configuration set; only the stream consumer, the reminder firing function, the payments function (receipts), the reports function (digests on demand) and the digest jobs may send', () => {
    const { stack: s, template: t, variables, sesStatements, policyOfStream } = withIdentity({ 'tollgate:sesIdentity': 'mail.example.com' });
    t.resourceCountIs('AWS::SES::EmailIdentity', 0);
    t.resourceCountIs('AWS::SES::ConfigurationSet', 1);
    expect(s.alertEmail.createdIdentity).toBeUndefined();
    const configurationSet = logicalIdOf(s, s.alertEmail.configurationSet);
    // One statement each for the stream consumer, the reminder firing function (test/lib/schedules.test.ts), the payments
    // and reports functions and the two digest jobs, alike.
    expect(sesStatements).toHaveLength(6);
    for (const other of sesStatements.slice(1)) expect(other).toEqual(sesStatements[0]);
    const [statement] = sesStatements as { Action: string[]; Resource: unknown[] }[];
    expect([...statement!.Action].sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
    const resources = JSON.stringify(statement!.Resource);
    expect(resources).toContain(':identity/mail.example.com');
    expect(resources).toContain(':configuration-set/');
    expect(resources).toContain(`{"Ref":"${configurationSet}"}`);
    expect(resources).not.toContain('*');
    const streamPolicy = t.toJSON().Resources[policyOfStream] as CfnResource;
    expect(JSON.stringify(streamPolicy.Properties.PolicyDocument)).toContain('ses:SendEmail');
    expect(variables).toMatchObject({ ALERT_EMAILS: 'on', ALERT_FROM_ADDRESS: 'alerts@mail.example.com', SES_CONFIGURATION_SET: { Ref: configurationSet } });
    t.hasOutput('AlertFromAddress', { Value: 'alerts@mail.example.com' });
    expect(Object.keys(t.findOutputs('SesDkimRecord*'))).toEqual([]);
  });

  it('creates the identity only when asked (createSesIdentity), retains it on delete and outputs its DKIM records', () => {
    const { stack: s, template: t, sesStatements } = withIdentity({ 'tollgate:sesIdentity': 'mail.example.com', 'tollgate:createSesIdentity': true });
    const identity = logicalIdOf(s, s.alertEmail.createdIdentity!);
    const resource = t.toJSON().Resources[identity] as CfnResource;
    expect(resource).toMatchObject({ Type: 'AWS::SES::EmailIdentity', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(resource.Properties).toEqual({ EmailIdentity: 'mail.example.com' });
    expect(JSON.stringify(sesStatements[0])).toContain(`{"Ref":"${identity}"}`);
    t.hasOutput('SesDkimRecord1', {});
  });

  it('sends from a single verified address, or from the configured address of the domain', () => {
    expect(withIdentity({ 'tollgate:sesIdentity': 'billing@example.com' }).variables.ALERT_FROM_ADDRESS).toBe('billing@example.com');
    expect(withIdentity({ 'tollgate:sesIdentity': 'example.com', 'tollgate:alertFromAddress': 'credits@example.com' }).variables.ALERT_FROM_ADDRESS).toBe(
      'credits@example.com',
    );
  });

  it.each([false, true])('stays clean under cdk-nag (createSesIdentity %s)', (create) => {
    const { stack: s } = withIdentity({ 'tollgate:sesIdentity': 'example.com', 'tollgate:createSesIdentity': create });
    expect(new AwsSolutionsChecks().validateScope(s).violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});

describe('logs', () => {
  it('keeps every log group for the configured retention and retains it with the stack', () => {
    const groups = Object.values(resourcesOf(template, 'AWS::Logs::LogGroup'));
    // One per function plus the API access logs.
    expect(groups).toHaveLength(Object.keys(httpFunctions).length + NON_HTTP_FUNCTIONS + 1);
    for (const group of groups) expect(group).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 30 } });
  });

  it('writes JSON access logs with the request id from the default stage, throttled', () => {
    const stages = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    const stage = stages[0] as CfnResource;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalIdOf(stack, stack.api.accessLogs), 'Arn'] } },
    });
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  it('configures no CORS unless origins are given', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', CorsConfiguration: Match.absent() });
  });
});

describe('alarms', () => {
  const alarms = () => Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
  const byMetric = (metricName: string) => alarms().filter((alarm) => JSON.stringify(alarm.Properties).includes(`"MetricName":"${metricName}"`));

  it('sends every alarm and its recovery to the encrypted alarm topic', () => {
    const topic = { Ref: logicalIdOf(stack, stack.monitoring.topic) };
    expect(alarms().length).toBeGreaterThan(0);
    for (const alarm of alarms()) expect(alarm.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it.each([
    ['API 5xx', '5xx', 1],
    ['Lambda errors', 'Errors', Object.keys(httpFunctions).length + NON_HTTP_FUNCTIONS],
    ['Lambda throttles', 'Throttles', Object.keys(httpFunctions).length + NON_HTTP_FUNCTIONS],
    ['DynamoDB throttles', 'ThrottledRequests', 1],
    ['DynamoDB system errors', 'SystemErrors', 1],
    ['stream iterator age', 'IteratorAge', 1],
    ['on-failure and dead-letter (reminders, renewal, sweeper, funnel, digests, webhook delivery) queue depth', 'ApproximateNumberOfMessagesVisible', 8],
  ])('watches %s', (_what, metricName, count) => {
    expect(byMetric(metricName)).toHaveLength(count);
  });

  it('alarms on the API 5xx rate, not the count', () => {
    const [alarm] = byMetric('5xx');
    expect(alarm!.Properties).toMatchObject({
      Threshold: 0.01,
      Metrics: expect.arrayContaining([expect.objectContaining({ Expression: expect.stringContaining('errors / requests') })]),
    });
  });

  it('has a dashboard with the business metrics', () => {
    const [dashboard] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const metric of ['Debits', 'InsufficientCredits', 'Refunds', 'TopUps']) expect(body).toContain(metric);
  });

  it('has a recovery funnel widget: every stage the funnel counts, per day, and the daily recovery rate', () => {
    const [dashboard] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    expect(body).toContain('Recovery funnel');
    for (const metric of [...Object.values(FUNNEL_STAGE_METRICS), RECOVERY_RATE_METRIC]) expect(body).toContain(metric);
  });

  it('shows the ledger lag per account bucket and alarms when the stream is 15 s behind', () => {
    const [dashboard] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    expect(body).toContain('LedgerLag');
    for (let bucket = 0; bucket < 8; bucket++) expect(body).toMatch(new RegExp(`accountBucket[^b]*b${bucket}`));
    expect(byMetric('IteratorAge')[0]?.Properties.Threshold).toBe(15_000);
  });
});

describe('outputs', () => {
  it.each(['ApiUrl', 'AdminKeySecretArn', 'TableName', 'DashboardUrl', 'AlarmTopicArn'])('outputs %s', (name) => {
    template.hasOutput(name, {});
  });
});

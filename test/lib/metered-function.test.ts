import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { MeteredFunction } from '../../index.ts';
import { TollgateStack } from '../../lib/tollgate-stack.ts';
import { type CfnResource, cdkJsonContext, logicalIdOf, resourcesOf } from './synth.ts';

let stack: TollgateStack;
let thumbnails: MeteredFunction;
let template: Template;

beforeAll(() => {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  stack = new TollgateStack(app, 'Tollgate', { env: { account: '123456789012', region: 'eu-west-1' } });
  // What a platform team writes to meter its own endpoint on the Tollgate API.
  thumbnails = new MeteredFunction(stack, 'Thumbnails', {
    entry: 'test/lib/fixtures/thumbnails-handler.ts',
    description: 'Renders thumbnails, 1 credit per page.',
    tollgate: stack.resources,
  });
  stack.api.addMeteredRoute('POST', '/v1/thumbnails', thumbnails);
  template = Template.fromStack(stack);
});

const resource = (construct: { node: { defaultChild?: unknown } }) => template.toJSON().Resources[logicalIdOf(stack, construct)] as CfnResource;

function statementsOf(fn: MeteredFunction) {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy') as { node: { defaultChild?: unknown } };
  return (resource(policy).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[]).map((statement) => ({
    Action: [statement.Action].flat(),
    Resource: [statement.Resource].flat(),
    ...(statement.Condition ? { Condition: statement.Condition } : {}),
  }));
}

describe('MeteredFunction', () => {
  it('deploys the example metered service (queries) with this very construct', () => {
    expect(stack.httpFunctions.queries).toBeInstanceOf(MeteredFunction);
  });

  it('has the Tollgate function defaults: Node.js 24 on arm64, JSON logs in its own group', () => {
    expect(resource(thumbnails).Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: { LogFormat: 'JSON' },
    });
  });

  it('is told where the table and the link signing secret are, and gets the settings of the stack’s own customer-facing functions', () => {
    const variables = resource(thumbnails).Properties.Environment.Variables;
    expect(variables).toMatchObject({
      TABLE_NAME: { Ref: logicalIdOf(stack, stack.ledger.table) },
      LINK_SIGNING_SECRET_ARN: { Ref: logicalIdOf(stack, stack.linkSigningKey.secret) },
    });
    const ownUsageFunction = resource(stack.httpFunctions.usage).Properties.Environment.Variables;
    for (const name of ['TOLLGATE_PUBLIC_URL', 'PARKED_QUERY_TTL_HOURS', 'IDEMPOTENCY_TTL_HOURS', 'LINK_TTL_HOURS']) {
      expect(variables[name], name).toBeDefined();
      expect(variables[name], name).toEqual(ownUsageFunction[name]);
    }
    expect(variables.ADMIN_KEY_SECRET_ARN).toBeUndefined();
  });

  it('may charge, settle and refund on account items, read keys and statistics, read the link secret, and nothing else', () => {
    const statements = statementsOf(thumbnails);
    const table = statements.filter((statement) => statement.Action.some((action) => action.startsWith('dynamodb:')));
    expect(table).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: [{ 'Fn::GetAtt': [logicalIdOf(stack, stack.ledger.table), 'Arn'] }],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ACCOUNT#*', 'APIKEY#*', 'EXTERNAL#*', 'STATS#DEPLETION#*', 'COPY#*'] } },
      },
      {
        Action: ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: [{ 'Fn::GetAtt': [logicalIdOf(stack, stack.ledger.table), 'Arn'] }],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ACCOUNT#*'] } },
      },
    ]);
    const actions = table.flatMap((statement) => statement.Action);
    // DeleteItem (on account items only) removes a keyed charge's record when its debit is refused outright: a refusal leaves nothing.
    for (const forbidden of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:*']) expect(actions).not.toContain(forbidden);
    const secrets = statements.filter((statement) => statement.Action.includes('secretsmanager:GetSecretValue'));
    expect(secrets.flatMap((statement) => statement.Resource)).toEqual([{ Ref: logicalIdOf(stack, stack.linkSigningKey.secret) }]);
    const rest = statements.filter((statement) => !table.includes(statement) && !secrets.includes(statement));
    expect(rest.flatMap((statement) => statement.Action)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('cannot read the admin key', () => {
    const adminKey = { Ref: logicalIdOf(stack, stack.adminKey.secret) };
    expect(JSON.stringify(statementsOf(thumbnails))).not.toContain(JSON.stringify(adminKey));
  });

  it('is reachable through addMeteredRoute on the Tollgate API, with payload format 2.0', () => {
    const route = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route')).find((r) => r.Properties.RouteKey === 'POST /v1/thumbnails');
    expect(route).toBeDefined();
    const integrationId = (route!.Properties.Target as { 'Fn::Join': [string, { Ref: string }[]] })['Fn::Join'][1][1]!.Ref;
    expect(resourcesOf(template, 'AWS::ApiGatewayV2::Integration')[integrationId]?.Properties).toMatchObject({
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalIdOf(stack, thumbnails), 'Arn'] },
    });
  });

  it('gives the metered route error and throttle alarms on its function, sent to the alarm topic, and a dashboard row', () => {
    const fnRef = { Ref: logicalIdOf(stack, thumbnails) };
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(
      (alarm) => JSON.stringify(alarm.Properties.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: fnRef }]),
    );
    expect(alarms.map((alarm) => alarm.Properties.MetricName).sort()).toEqual(['Errors', 'Throttles']);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmDescription).toContain('POST /v1/thumbnails');
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalIdOf(stack, stack.monitoring.topic) }]);
    }
    const dashboard = JSON.stringify(Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    expect(dashboard).toContain('Metered route POST /v1/thumbnails');
    expect(dashboard).toContain('Alarms of POST /v1/thumbnails');
  });

  it('refuses a route that would shadow one of the route table', () => {
    expect(() => stack.api.addMeteredRoute('POST', '/v1/queries', thumbnails)).toThrow('already a Tollgate route');
  });

  it('keeps the stack cdk-nag clean', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('turns on X-Ray active tracing for every function, metered ones included, when tollgate:tracing is set, and stays cdk-nag clean', () => {
    const app = new App({ context: { ...cdkJsonContext, 'tollgate:tracing': true, 'aws:cdk:bundling-stacks': [] } });
    const traced = new TollgateStack(app, 'Tollgate', { env: { account: '123456789012', region: 'eu-west-1' } });
    const fn = new MeteredFunction(traced, 'Thumbnails', { entry: 'test/lib/fixtures/thumbnails-handler.ts', description: 'x', tollgate: traced.resources });
    traced.api.addMeteredRoute('POST', '/v1/thumbnails', fn);
    const functions = Object.values(resourcesOf(Template.fromStack(traced), 'AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(8);
    for (const resource of functions) expect(resource.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(new AwsSolutionsChecks().validateScope(traced).violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(resource(thumbnails).Properties.TracingConfig).toBeUndefined();
  });

  it('also works in a team’s own stack, next to a Tollgate stack', () => {
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
    const env = { account: '123456789012', region: 'eu-west-1' };
    const tollgate = new TollgateStack(app, 'Tollgate', { env });
    const team = new Stack(app, 'Team', { env });
    const fn = new MeteredFunction(team, 'Thumbnails', { entry: 'test/lib/fixtures/thumbnails-handler.ts', description: 'x', tollgate: tollgate.resources });
    const variables = Template.fromStack(team).toJSON().Resources[team.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables;
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(['TABLE_NAME', 'LINK_SIGNING_SECRET_ARN', 'TOLLGATE_PUBLIC_URL', 'LINK_TTL_HOURS']));
    expect(variables.ADMIN_KEY_SECRET_ARN).toBeUndefined();
  });
});

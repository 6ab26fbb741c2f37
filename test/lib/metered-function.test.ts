import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { MeteredFunction } from '../../index.ts';
import { tableActions } from '../../lib/tollgate-function.ts';
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
  return (resource(policy).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).map((statement) => ({
    Action: [statement.Action].flat(),
    Resource: [statement.Resource].flat(),
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

  it('is told where the table and the secrets meter() needs are', () => {
    expect(resource(thumbnails).Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: logicalIdOf(stack, stack.ledger.table) },
      ADMIN_KEY_SECRET_ARN: { Ref: logicalIdOf(stack, stack.adminKey.secret) },
      LINK_SIGNING_SECRET_ARN: { Ref: logicalIdOf(stack, stack.linkSigningKey.secret) },
    });
  });

  it('may read and write the ledger table and read exactly those two secrets, nothing else', () => {
    const statements = statementsOf(thumbnails);
    const table = statements.filter((statement) => statement.Action.some((action) => action.startsWith('dynamodb:')));
    expect(table).toHaveLength(1);
    expect([...table[0]!.Action].sort()).toEqual([...tableActions.RW].sort());
    expect(table[0]!.Resource).toEqual([{ 'Fn::GetAtt': [logicalIdOf(stack, stack.ledger.table), 'Arn'] }]);
    const secrets = statements.filter((statement) => statement.Action.includes('secretsmanager:GetSecretValue'));
    expect(secrets.flatMap((statement) => statement.Action)).toEqual(['secretsmanager:GetSecretValue']);
    expect(secrets.flatMap((statement) => statement.Resource)).toEqual([
      { Ref: logicalIdOf(stack, stack.adminKey.secret) },
      { Ref: logicalIdOf(stack, stack.linkSigningKey.secret) },
    ]);
    const rest = statements.filter((statement) => !table.includes(statement) && !secrets.includes(statement));
    expect(rest.flatMap((statement) => statement.Action)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
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

  it('refuses a route that would shadow one of the route table', () => {
    expect(() => stack.api.addMeteredRoute('POST', '/v1/queries', thumbnails)).toThrow('already a Tollgate route');
  });

  it('keeps the stack cdk-nag clean', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('also works in a team’s own stack, next to a Tollgate stack', () => {
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
    const env = { account: '123456789012', region: 'eu-west-1' };
    const tollgate = new TollgateStack(app, 'Tollgate', { env });
    const team = new Stack(app, 'Team', { env });
    const fn = new MeteredFunction(team, 'Thumbnails', { entry: 'test/lib/fixtures/thumbnails-handler.ts', description: 'x', tollgate: tollgate.resources });
    const variables = Template.fromStack(team).toJSON().Resources[team.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables;
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(['TABLE_NAME', 'ADMIN_KEY_SECRET_ARN', 'LINK_SIGNING_SECRET_ARN']));
  });
});

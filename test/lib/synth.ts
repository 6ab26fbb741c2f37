import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TollgateStack } from '../../lib/tollgate-stack.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The context shipped in cdk.json (feature flags and the documented `tollgate:*` defaults). */
export const cdkJsonContext = (JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

export interface SynthOptions {
  /** Extra or overriding context, e.g. `{ 'tollgate:removalPolicy': 'destroy' }`. */
  readonly context?: Record<string, unknown>;
}

/** Synthesizes the Tollgate stack as `bin/tollgate.ts` does, with cdk.json's context. */
export function synthTollgate(options: SynthOptions = {}) {
  const app = new App({
    context: {
      ...cdkJsonContext,
      ...options.context,
      // An empty list tells CDK to skip bundling: the assertions don't need the code (tollgate-function.test.ts bundles).
      'aws:cdk:bundling-stacks': [],
    },
  });
  const stack = new TollgateStack(app, 'Tollgate', { env: { account: '123456789012', region: 'eu-west-1' } });
  const template = Template.fromStack(stack);
  return { app, stack, template };
}

export type CfnResource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

/** All resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalIdOf(stack: TollgateStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** One IAM statement, with `Action` and `Resource` as lists and the logical id of the policy it belongs to. */
export type PolicyStatementOf = { policy: string; Effect: string; Action: string[]; Resource: unknown[]; Condition?: unknown };

/** Every IAM statement of a template, with the policy it belongs to. */
export function policyStatements(template: Template): PolicyStatementOf[] {
  return Object.entries(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(([policy, r]) =>
    (r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Effect: string }[]).map((statement) => ({
      ...statement,
      policy,
      Action: asArray(statement.Action),
      Resource: asArray(statement.Resource),
    })),
  );
}

type Construct = { node: { defaultChild?: unknown } };
type WithPolicy = { node: { tryFindChild(id: string): unknown } };

/**
 * Lookups by construct in a synthesized stack, for test files that synthesize once in `beforeAll`:
 * `current` is read on each call, so pass `() => ({ stack, template })` of the file's variables.
 */
export function templateLookups(current: () => { stack: TollgateStack; template: Template }) {
  const idOf = (construct: Construct) => logicalIdOf(current().stack, construct);
  const statements = (template: Template = current().template) => policyStatements(template);
  return {
    /** The construct's CloudFormation resource. */
    resource: (construct: Construct) => current().template.toJSON().Resources[idOf(construct)] as CfnResource,
    getAtt: (construct: Construct, attribute = 'Arn') => ({ 'Fn::GetAtt': [idOf(construct), attribute] }),
    ref: (construct: Construct) => ({ Ref: idOf(construct) }),
    /** Every IAM statement of the template (or of another one), with the policy it belongs to. */
    statements,
    /** Statements of the policy attached to a role (a function's role, or a role itself); none without one. */
    statementsOf(role: WithPolicy | undefined): PolicyStatementOf[] {
      const policy = role?.node.tryFindChild('DefaultPolicy') as Construct | undefined;
      if (!policy) return [];
      const id = idOf(policy);
      return statements().filter((statement) => statement.policy === id);
    },
  };
}

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
  /** Run esbuild for real (slower). Off, CDK skips asset bundling for the stack. @default false */
  readonly bundle?: boolean;
}

/** Synthesizes the Tollgate stack as `bin/tollgate.ts` does, with cdk.json's context. */
export function synthTollgate(options: SynthOptions = {}) {
  const app = new App({
    context: {
      ...cdkJsonContext,
      ...options.context,
      // An empty list tells CDK to skip bundling: the assertions don't need the code.
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
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

import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface SchedulerInvokeRoleProps {
  /** The one function the schedules invoke. */
  readonly function: IFunction;
  /** ARN of the schedule group whose schedules may assume the role (the trust's `aws:SourceArn`). */
  readonly scheduleGroupArn: string;
  /** Where EventBridge Scheduler puts an invocation it could not deliver after its retries. */
  readonly deadLetterQueue: IQueue;
  /** What the schedules are for, shown in the IAM console. */
  readonly description: string;
}

/**
 * The execution role EventBridge Scheduler assumes to run a schedule's target: trusted only by
 * `scheduler.amazonaws.com` acting for schedules of this account in one schedule group
 * (`aws:SourceAccount`, `aws:SourceArn`: no confused deputy), and allowed only to invoke one
 * function (its unqualified ARN: no other function, version or alias) and to park an
 * undeliverable invocation in one dead-letter queue.
 */
export class SchedulerInvokeRole extends Role {
  constructor(scope: Construct, id: string, props: SchedulerInvokeRoleProps) {
    super(scope, id, {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account, 'aws:SourceArn': props.scheduleGroupArn } },
      }),
      description: props.description,
    });
    this.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.function.functionArn] }));
    this.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }));
  }
}

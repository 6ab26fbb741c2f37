import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { RemovalPolicyName } from './config.ts';

export interface DeadLetterQueueProps {
  /** What lands in the queue, for the cdk-nag acknowledgment that it has no dead-letter queue of its own. */
  readonly holds: string;
  /** Whether the queue (and what it holds) outlives the stack. @default 'retain' */
  readonly removalPolicy?: RemovalPolicyName;
}

/**
 * Where work that failed after its retries is parked instead of lost: an SQS queue encrypted
 * with SQS-managed keys, TLS-only, keeping messages for the SQS maximum of 14 days.
 * Give it an alarm (`Monitoring`'s `deadLetterQueues`): a message in it needs an operator.
 */
export class DeadLetterQueue extends Queue {
  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: (props.removalPolicy ?? 'retain') === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself a dead-letter destination (${props.holds}); an alarm fires as soon as it holds a message.`,
    });
  }
}

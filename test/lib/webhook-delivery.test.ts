import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TollgateStack } from '../../lib/tollgate-stack.ts';
import { resourcesOf, synthTollgate, templateLookups } from './synth.ts';

let stack: TollgateStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthTollgate());
});

const { resource, getAtt, ref, statementsOf } = templateLookups(() => ({ stack, template }));
const delivery = () => stack.webhookDelivery;

describe('webhook delivery', () => {
  it('feeds the delivery worker from an encrypted, TLS-only queue that parks a message failing 5 times in its dead-letter queue', () => {
    expect(resource(delivery().queue).Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: getAtt(delivery().deadLetterQueue), maxReceiveCount: 5 },
      VisibilityTimeout: 1080,
    });
    const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).filter(
      (mapping) => JSON.stringify(mapping.Properties.EventSourceArn) === JSON.stringify(getAtt(delivery().queue)),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({ FunctionName: ref(delivery().function), FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(resource(delivery().function).Properties).toMatchObject({ Handler: 'index.deliver', Timeout: 180 });
  });

  it('lets only the stream consumer, the admin API and the worker itself queue deliveries, and tells them where', () => {
    const queueArn = getAtt(delivery().queue);
    const senders = [stack.balanceStream.function, stack.httpFunctions.webhooks, delivery().function];
    for (const fn of senders) {
      expect(resource(fn).Properties.Environment.Variables.WEBHOOK_QUEUE_URL).toEqual(ref(delivery().queue));
      expect(statementsOf(fn.role).some((s) => s.Action.includes('sqs:SendMessage') && JSON.stringify(s.Resource).includes(JSON.stringify(queueArn)))).toBe(
        true,
      );
    }
    for (const [name, fn] of Object.entries(stack.httpFunctions)) {
      if (name === 'webhooks') continue;
      expect(resource(fn).Properties.Environment.Variables.WEBHOOK_QUEUE_URL, name).toBeUndefined();
    }
  });

  it('alarms, to the alarm topic, on a disabled endpoint, a delivery given up, and a message in the dead-letter queue', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    const topic = ref(stack.monitoring.topic);
    for (const metricName of ['WebhookEndpointsDisabled', 'WebhooksFailed']) {
      const alarm = alarms.find((candidate) => candidate.Properties.MetricName === metricName);
      expect(alarm?.Properties).toMatchObject({ Namespace: 'Tollgate', Threshold: 1, AlarmActions: [topic], OKActions: [topic] });
    }
    const dlq = alarms.find((candidate) =>
      JSON.stringify(candidate.Properties.Dimensions ?? []).includes(JSON.stringify(getAtt(delivery().deadLetterQueue, 'QueueName'))),
    );
    expect(dlq?.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', AlarmActions: [topic] });
  });
});

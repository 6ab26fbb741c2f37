import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { config, resetConfig } from '../../functions/shared/config.ts';
import { MeteredFunction } from '../../lib/metered-function.ts';
import { tableActions } from '../../lib/tollgate-function.ts';
import type { TollgateStack } from '../../lib/tollgate-stack.ts';
import { resourcesOf, synthTollgate, templateLookups } from './synth.ts';

let stack: TollgateStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthTollgate());
});

const { resource, getAtt, ref, statementsOf } = templateLookups(() => ({ stack, template }));

const sweeper = () => stack.abandonedChargeSweeper;

describe('abandoned-charge sweeper function', () => {
  it('runs the sweeper handler on Node.js 24, arm64, for up to 2 minutes, told only where the table is', () => {
    const properties = resource(sweeper().function).Properties;
    expect(properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogFormat: 'JSON' },
      Timeout: 120,
      Environment: { Variables: { TABLE_NAME: ref(stack.ledger.table) } },
    });
    // It waits for abandonment with the runtime default of METERED_WORK_TIMEOUT_SECONDS, like the functions that charge.
    expect(properties.Environment.Variables.METERED_WORK_TIMEOUT_SECONDS).toBeUndefined();
  });

  it('has read-write table access plus dynamodb:Scan, on the table only (no index, no stream), and nothing else', () => {
    const own = statementsOf(sweeper().function.role);
    const table = own.filter((statement) => statement.Action.some((action) => action.startsWith('dynamodb:')));
    expect(table).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: [...tableActions.RW, 'dynamodb:Scan'].sort(), Resource: [getAtt(stack.ledger.table)] }),
    ]);
    // Besides: its own log group, and (Lambda's on-failure destination) sending to its dead-letter queue.
    const rest = own.filter((statement) => !table.includes(statement));
    expect(rest.flatMap((statement) => statement.Action).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const sqs = rest.filter((statement) => statement.Action.some((action) => action.startsWith('sqs:')));
    expect(sqs.flatMap((statement) => statement.Resource)).toEqual([getAtt(sweeper().deadLetterQueue)]);
  });

  it('retries a failed run twice (each refund is an at-most-once transition), then parks it in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(sweeper().function),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: getAtt(sweeper().deadLetterQueue) } },
    });
  });
});

describe('abandoned-charge sweeper schedule', () => {
  it('runs every 5 minutes in the default group, with retries and the dead-letter queue', () => {
    const schedule = resource(sweeper().schedule).Properties;
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: getAtt(sweeper().function),
        RoleArn: getAtt(sweeper().schedulerRole),
        RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        DeadLetterConfig: { Arn: getAtt(sweeper().deadLetterQueue) },
      },
    });
    expect(schedule.GroupName).toBeUndefined();
    expect(schedule.Target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    // No point delivering a run once the next one is due: it sweeps the same items.
    expect(schedule.Target.RetryPolicy.MaximumEventAgeInSeconds).toBeLessThanOrEqual(5 * 60);
  });

  it('runs as a role only EventBridge Scheduler assumes, for this account and the default group', () => {
    const role = resource(sweeper().schedulerRole);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:SourceAccount': '123456789012',
            'aws:SourceArn': 'arn:aws:scheduler:eu-west-1:123456789012:schedule-group/default',
          },
        },
      },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('whose only permissions are invoking the sweeper (no other function, version or alias) and its dead-letter queue', () => {
    const own = statementsOf(sweeper().schedulerRole).map(({ Action, Resource, Effect }) => ({ Action, Resource, Effect }));
    expect(own).toEqual([
      { Action: ['lambda:InvokeFunction'], Resource: [getAtt(sweeper().function)], Effect: 'Allow' },
      { Action: ['sqs:SendMessage'], Resource: [getAtt(sweeper().deadLetterQueue)], Effect: 'Allow' },
    ]);
    // And no resource policy lets anything else invoke it.
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).map((permission) => JSON.stringify(permission.Properties.FunctionName));
    expect(permissions).not.toContain(JSON.stringify(getAtt(sweeper().function)));
    expect(permissions).not.toContain(JSON.stringify(ref(sweeper().function)));
  });
});

describe('abandoned-charge sweeper failures', () => {
  it('land in an encrypted, TLS-only queue kept 14 days and retained with the stack', () => {
    expect(resource(sweeper().deadLetterQueue)).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 },
    });
  });

  it('alarm on the first parked run, and on the function’s errors and throttles, to the alarm topic', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    const topic = ref(stack.monitoring.topic);
    const on = (metric: string, dimensions: unknown) =>
      alarms.filter((a) => a.Properties.MetricName === metric && JSON.stringify(a.Properties.Dimensions) === JSON.stringify(dimensions));
    const queue = on('ApproximateNumberOfMessagesVisible', [{ Name: 'QueueName', Value: getAtt(sweeper().deadLetterQueue, 'QueueName') }]);
    expect(queue).toHaveLength(1);
    expect(queue[0]!.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic],
      OKActions: [topic],
    });
    for (const metric of ['Errors', 'Throttles']) {
      const found = on(metric, [{ Name: 'FunctionName', Value: ref(sweeper().function) }]);
      expect(found, metric).toHaveLength(1);
      expect(found[0]!.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    }
  });
});

describe('functions that charge', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetConfig();
  });

  // A charged txn still `running` after METERED_WORK_TIMEOUT_SECONDS is treated as abandoned: a retry
  // with the same Idempotency-Key may take it over (functions/metering/charges.ts), and later the
  // sweeper refunds it. A function that may still be working past that point could deliver work
  // whose charge a retry has taken over. None sets the variable, so its runtime default applies,
  // and each times out before it.
  it('time out before a running charge counts as abandoned (METERED_WORK_TIMEOUT_SECONDS, at its default)', () => {
    vi.stubEnv('TABLE_NAME', 'tollgate');
    vi.stubEnv('METERED_WORK_TIMEOUT_SECONDS', undefined);
    resetConfig();
    const workTimeout = config().METERED_WORK_TIMEOUT_SECONDS;
    expect(workTimeout).toBe(30);

    const metered = stack.node.findAll().filter((construct): construct is MeteredFunction => construct instanceof MeteredFunction);
    expect(metered).toContain(stack.httpFunctions.queries);
    const charging = new Set([stack.httpFunctions.queries!, stack.httpFunctions.metering, ...metered]);
    for (const fn of charging) {
      const properties = resource(fn).Properties;
      expect(properties.Timeout, fn.node.path).toBeLessThanOrEqual(workTimeout);
      expect(properties.Environment.Variables.METERED_WORK_TIMEOUT_SECONDS, fn.node.path).toBeUndefined();
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged findings on the sweeper', () => {
    const violations = new AwsSolutionsChecks().validateScope(sweeper()).violations;
    expect(violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('and none on the whole stack, with removalPolicy destroy too', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations.map((violation) => violation.ruleName)).toEqual([]);
    const { stack: s } = synthTollgate({ context: { 'tollgate:removalPolicy': 'destroy' } });
    expect(new AwsSolutionsChecks().validateScope(s).violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});

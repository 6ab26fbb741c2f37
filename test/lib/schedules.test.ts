import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ReminderItem } from '../../functions/reminders/model.ts';
import { reminderScheduler } from '../../functions/reminders/scheduler.ts';
import { resetConfig } from '../../functions/shared/config.ts';
import { REMINDER_SCHEDULE_PREFIX } from '../../lib/reminder-schedules.ts';
import { tableActions } from '../../lib/tollgate-function.ts';
import type { TollgateStack } from '../../lib/tollgate-stack.ts';
import { logicalIdOf, type PolicyStatementOf, resourcesOf, synthTollgate, templateLookups } from './synth.ts';

let stack: TollgateStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthTollgate());
});

const { resource, getAtt, ref, statements, statementsOf } = templateLookups(() => ({ stack, template }));
const variablesOf = (fn: { node: { defaultChild?: unknown } }) => resource(fn).Properties.Environment.Variables as Record<string, unknown>;

/** The statements (outside the log group one) with the given action prefix. */
const withAction = (list: PolicyStatementOf[], prefix: string) => list.filter((statement) => statement.Action.some((action) => action.startsWith(prefix)));

describe('reminder firing function', () => {
  it('runs fire() of the reminders handler on Node.js 24, arm64', () => {
    expect(resource(stack.reminders.function).Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.fire',
      LoggingConfig: { LogFormat: 'JSON' },
      Timeout: 30,
    });
  });

  it('gets exactly the environment the stream consumer gets for alert emails and links', () => {
    const fire = variablesOf(stack.reminders.function);
    // Besides, the stream consumer alone queues webhook events.
    const { WEBHOOK_QUEUE_URL, ...streams } = variablesOf(stack.balanceStream.function);
    expect(WEBHOOK_QUEUE_URL).toBeDefined();
    expect(fire).toEqual(streams);
    expect(fire).toMatchObject({
      TABLE_NAME: ref(stack.ledger.table),
      LINK_SIGNING_SECRET_ARN: ref(stack.linkSigningKey.secret),
      ALERT_EMAILS: 'off',
      TOLLGATE_PUBLIC_URL: { 'Fn::Join': ['', expect.arrayContaining([ref(stack.api.api)])] },
    });
  });

  it('has read-write table access, the link signing key, and no SES permission until an identity is configured', () => {
    const own = statementsOf(stack.reminders.function.role);
    expect(withAction(own, 'dynamodb:')).toEqual([expect.objectContaining({ Action: [...tableActions.RW].sort(), Resource: [getAtt(stack.ledger.table)] })]);
    expect(withAction(own, 'secretsmanager:')).toEqual([
      expect.objectContaining({ Action: ['secretsmanager:GetSecretValue'], Resource: [ref(stack.linkSigningKey.secret)] }),
    ]);
    expect(withAction(own, 'ses:')).toEqual([]);
  });

  it('with an SES identity, may send like the stream consumer: from that identity, through the configuration set', () => {
    const synth = synthTollgate({ context: { 'tollgate:sesIdentity': 'mail.example.com' } });
    const fireVariables = synth.template.toJSON().Resources[logicalIdOf(synth.stack, synth.stack.reminders.function)].Properties.Environment.Variables;
    const { WEBHOOK_QUEUE_URL: _, ...streamVariables } =
      synth.template.toJSON().Resources[logicalIdOf(synth.stack, synth.stack.balanceStream.function)].Properties.Environment.Variables;
    expect(fireVariables).toEqual(streamVariables);
    expect(fireVariables).toMatchObject({
      ALERT_EMAILS: 'on',
      ALERT_FROM_ADDRESS: 'alerts@mail.example.com',
      SES_CONFIGURATION_SET: { Ref: logicalIdOf(synth.stack, synth.stack.alertEmail.configurationSet) },
    });
    const policyOf = (fn: { role?: { node: { tryFindChild(id: string): unknown } } }) =>
      logicalIdOf(synth.stack, fn.role?.node.tryFindChild('DefaultPolicy') as never);
    const ses = statements(synth.template).filter((statement) => statement.Action.some((action) => action.startsWith('ses:')));
    const sesOf = (fn: Parameters<typeof policyOf>[0]) => ses.filter((statement) => statement.policy === policyOf(fn)).map(({ policy: _, ...rest }) => rest);
    expect(sesOf(synth.stack.reminders.function)).toHaveLength(1);
    expect(sesOf(synth.stack.reminders.function)).toEqual(sesOf(synth.stack.balanceStream.function));
    expect(new AwsSolutionsChecks().validateScope(synth.stack).violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('sends a failed firing straight to the dead-letter queue: a retry within the claim timeout would drop it', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(stack.reminders.function),
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: getAtt(stack.reminders.deadLetterQueue) } },
    });
  });
});

describe('reminder schedules', () => {
  it('go in a dedicated schedule group, deleted with the stack', () => {
    const group = resource(stack.reminders.scheduleGroup);
    expect(group.Properties.Name).toBe(stack.reminders.scheduleGroup.scheduleGroupName);
    expect(group.Properties.Name).not.toBe('default');
    expect(group.DeletionPolicy).toBe('Delete');
  });

  it('run as a role that only EventBridge Scheduler assumes, for schedules of this account in that group', () => {
    const role = resource(stack.reminders.schedulerRole);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012', 'aws:SourceArn': getAtt(stack.reminders.scheduleGroup) } },
      },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('whose only permissions are invoking the firing function (no other version or alias) and its dead-letter queue', () => {
    const own = statementsOf(stack.reminders.schedulerRole).map(({ Action, Resource, Effect }) => ({ Action, Resource, Effect }));
    expect(own).toEqual([
      { Action: ['lambda:InvokeFunction'], Resource: [getAtt(stack.reminders.function)], Effect: 'Allow' },
      { Action: ['sqs:SendMessage'], Resource: [getAtt(stack.reminders.deadLetterQueue)], Effect: 'Allow' },
    ]);
  });

  it('are created by the reminders HTTP function, which is told the target, role, group and dead-letter queue', () => {
    expect(variablesOf(stack.httpFunctions.reminders)).toMatchObject({
      REMINDER_TARGET_ARN: getAtt(stack.reminders.function),
      SCHEDULER_ROLE_ARN: getAtt(stack.reminders.schedulerRole),
      SCHEDULER_GROUP: stack.reminders.scheduleGroup.scheduleGroupName,
      REMINDER_DLQ_ARN: getAtt(stack.reminders.deadLetterQueue),
    });
  });

  it('which may create and delete reminder schedules in that group only, and pass that role to EventBridge Scheduler only', () => {
    const own = statementsOf(stack.httpFunctions.reminders.role);
    const group = stack.reminders.scheduleGroup.scheduleGroupName;
    expect(withAction(own, 'scheduler:').map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition }))).toEqual([
      {
        Action: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
        Resource: [
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':scheduler:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                `:schedule/${group}/${REMINDER_SCHEDULE_PREFIX}*`,
              ],
            ],
          },
        ],
        Condition: undefined,
      },
    ]);
    expect(withAction(own, 'iam:').map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition }))).toEqual([
      {
        Action: ['iam:PassRole'],
        Resource: [getAtt(stack.reminders.schedulerRole)],
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
  });

  it('and no other function may schedule anything or pass any role', () => {
    const reminderPolicy = logicalIdOf(stack, stack.httpFunctions.reminders.role?.node.tryFindChild('DefaultPolicy') as never);
    const others = statements().filter((statement) => statement.policy !== reminderPolicy);
    expect(withAction(others, 'scheduler:')).toEqual([]);
    expect(withAction(others, 'iam:')).toEqual([]);
  });

  it('match the names the runtime gives them (functions/reminders/scheduler.ts)', async () => {
    const send = vi.spyOn(SchedulerClient.prototype, 'send').mockResolvedValue({} as never);
    vi.stubEnv('TABLE_NAME', 'tollgate');
    vi.stubEnv('REMINDER_TARGET_ARN', 'arn:aws:lambda:eu-west-1:123456789012:function:fire');
    vi.stubEnv('SCHEDULER_ROLE_ARN', 'arn:aws:iam::123456789012:role/scheduler');
    vi.stubEnv('SCHEDULER_GROUP', 'reminders-group');
    resetConfig();
    const reminder = { id: 'rem_0123456789abcdef', accountId: 'acc_1', dueAt: '2030-01-02T03:04:05.000Z' } as ReminderItem;
    await reminderScheduler().schedule(reminder);
    await reminderScheduler().cancel(reminder);
    const inputs = send.mock.calls.map(([command]) => (command as unknown as { input: { Name: string; GroupName: string } }).input);
    expect(inputs).toHaveLength(2);
    for (const input of inputs) {
      expect(input.Name.startsWith(REMINDER_SCHEDULE_PREFIX)).toBe(true);
      expect(input.GroupName).toBe('reminders-group');
    }
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    resetConfig();
  });
});

describe('plan renewal', () => {
  it('runs the renewal job on Node.js 24, arm64, for up to 5 minutes', () => {
    expect(resource(stack.planRenewal.function).Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 300,
      Environment: { Variables: { TABLE_NAME: ref(stack.ledger.table) } },
    });
  });

  it('has read-write table access plus the scan that finds the accounts', () => {
    const tableStatements = withAction(statementsOf(stack.planRenewal.function.role), 'dynamodb:');
    expect(tableStatements).toHaveLength(1);
    expect(tableStatements[0]).toMatchObject({ Action: [...tableActions.RW, 'dynamodb:Scan'].sort(), Resource: [getAtt(stack.ledger.table)] });
    // Nothing else scans the table but the abandoned-charge sweeper (test/lib/sweeper.test.ts).
    const scanners = statements().filter((statement) => statement.Action.includes('dynamodb:Scan'));
    expect(scanners.map((statement) => statement.policy).sort()).toEqual(
      [stack.planRenewal.function, stack.abandonedChargeSweeper.function]
        .map((fn) => logicalIdOf(stack, fn.role?.node.tryFindChild('DefaultPolicy') as never))
        .sort(),
    );
  });

  it('is scheduled at 00:05 UTC on the first of every month, with retries and a dead-letter queue', () => {
    // Five recurring schedules: this one, the abandoned-charge sweeper's (test/lib/sweeper.test.ts), the daily funnel job's and the two digests'.
    expect(Object.keys(resourcesOf(template, 'AWS::Scheduler::Schedule'))).toHaveLength(5);
    const schedules = [resource(stack.planRenewal.schedule)];
    expect(schedules[0]!.Properties).toMatchObject({
      ScheduleExpression: 'cron(5 0 1 * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: getAtt(stack.planRenewal.function),
        RoleArn: getAtt(stack.planRenewal.schedulerRole),
        RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        DeadLetterConfig: { Arn: getAtt(stack.planRenewal.deadLetterQueue) },
      },
    });
    expect(schedules[0]!.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(schedules[0]!.Properties.GroupName).toBeUndefined();
  });

  it('runs as a role only EventBridge Scheduler assumes, which may invoke the renewal function only', () => {
    const role = resource(stack.planRenewal.schedulerRole);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:SourceAccount': '123456789012',
            'aws:SourceArn': 'arn:aws:scheduler:eu-west-1:123456789012:schedule-group/default',
          },
        },
      }),
    ]);
    const own = statementsOf(stack.planRenewal.schedulerRole).map(({ Action, Resource }) => ({ Action, Resource }));
    expect(own).toEqual([
      { Action: ['lambda:InvokeFunction'], Resource: [getAtt(stack.planRenewal.function)] },
      { Action: ['sqs:SendMessage'], Resource: [getAtt(stack.planRenewal.deadLetterQueue)] },
    ]);
  });

  it('retries a failed run twice (renewal is idempotent), then parks it in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(stack.planRenewal.function),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: getAtt(stack.planRenewal.deadLetterQueue) } },
    });
  });
});

describe('invocation', () => {
  it('lets no role but the scheduler roles invoke the scheduled functions', () => {
    const invokers = statements()
      .filter((statement) => statement.Action.includes('lambda:InvokeFunction'))
      .map((statement) => ({ policy: statement.policy, Resource: statement.Resource }));
    expect(invokers).toEqual(
      expect.arrayContaining([
        { policy: logicalIdOf(stack, stack.reminders.schedulerRole.node.tryFindChild('DefaultPolicy') as never), Resource: [getAtt(stack.reminders.function)] },
        {
          policy: logicalIdOf(stack, stack.planRenewal.schedulerRole.node.tryFindChild('DefaultPolicy') as never),
          Resource: [getAtt(stack.planRenewal.function)],
        },
        {
          policy: logicalIdOf(stack, stack.abandonedChargeSweeper.schedulerRole.node.tryFindChild('DefaultPolicy') as never),
          Resource: [getAtt(stack.abandonedChargeSweeper.function)],
        },
        ...[stack.funnelDaily, stack.digests.weekly, stack.digests.monthly].map((job) => ({
          policy: logicalIdOf(stack, job.schedulerRole.node.tryFindChild('DefaultPolicy') as never),
          Resource: [getAtt(job.function)],
        })),
      ]),
    );
    expect(invokers).toHaveLength(6);
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).map((permission) => JSON.stringify(permission.Properties.FunctionName));
    expect(permissions).not.toContain(JSON.stringify(getAtt(stack.reminders.function)));
    expect(permissions).not.toContain(JSON.stringify(getAtt(stack.planRenewal.function)));
    expect(permissions).not.toContain(JSON.stringify(getAtt(stack.abandonedChargeSweeper.function)));
    expect(permissions).not.toContain(JSON.stringify(getAtt(stack.funnelDaily.function)));
  });

  it.each([
    ['weekly', 'cron(0 6 ? * MON *)'],
    ['monthly', 'cron(0 6 1 * ? *)'],
  ] as const)('sends the %s digests on schedule (%s UTC), with retries and a dead-letter queue', (kind, expression) => {
    expect(resource(stack.digests[kind].schedule).Properties).toMatchObject({
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: 'Etc/UTC',
      Target: { Input: JSON.stringify({ job: `digest-${kind}` }), DeadLetterConfig: { Arn: expect.anything() } },
    });
  });

  it('runs the daily funnel job at 00:20 UTC every day, with retries and a dead-letter queue', () => {
    expect(resource(stack.funnelDaily.schedule).Properties).toMatchObject({
      ScheduleExpression: 'cron(20 0 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      Target: { Input: JSON.stringify({ job: 'funnel-daily' }), DeadLetterConfig: { Arn: expect.anything() } },
    });
  });
});

describe('dead-letter queues', () => {
  const queues = () =>
    [
      ['Reminders', stack.reminders.deadLetterQueue],
      ['PlanRenewal', stack.planRenewal.deadLetterQueue],
      ['Sweeper', stack.abandonedChargeSweeper.deadLetterQueue],
    ] as const;

  it('are encrypted, TLS-only, keep messages 14 days and are retained with the stack', () => {
    const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
    for (const [, queue] of queues()) {
      expect(resource(queue)).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 },
      });
      const policy = policies.find((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([ref(queue)]));
      expect(policy?.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: getAtt(queue) }),
        ]),
      );
    }
  });

  it('each alarm on their first message, to the alarm topic', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    const topic = ref(stack.monitoring.topic);
    for (const [name, queue] of queues()) {
      const alarm = alarms.find(
        (a) =>
          a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Properties.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }]),
      );
      expect(alarm, name).toBeDefined();
      expect(alarm!.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
  });

  it('and the scheduled functions alarm on errors and throttles like every other function', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    for (const fn of [stack.reminders.function, stack.planRenewal.function, stack.abandonedChargeSweeper.function]) {
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarms.filter(
          (a) => a.Properties.MetricName === metric && JSON.stringify(a.Properties.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: ref(fn) }]),
        );
        expect(found, `${fn.node.path} ${metric}`).toHaveLength(1);
      }
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged findings', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('stays clean with removalPolicy destroy', () => {
    const { stack: s } = synthTollgate({ context: { 'tollgate:removalPolicy': 'destroy' } });
    expect(new AwsSolutionsChecks().validateScope(s).violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});

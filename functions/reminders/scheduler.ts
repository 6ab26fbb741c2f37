import { CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { config } from '../shared/config.ts';
import type { ReminderItem } from './model.ts';

/** Arranges for a reminder to fire once at its due time. */
export interface ReminderScheduler {
  schedule(reminder: ReminderItem): Promise<void>;
  cancel(reminder: ReminderItem): Promise<void>;
}

/**
 * On AWS: one EventBridge Scheduler one-time schedule per reminder, deleted after it fires.
 * Locally (no target configured): the local stack's scheduler loop finds due reminders in the
 * table itself, so there is nothing to arrange here.
 */
export function reminderScheduler(): ReminderScheduler {
  const { REMINDER_TARGET_ARN: targetArn, SCHEDULER_ROLE_ARN: roleArn, SCHEDULER_GROUP: group, REMINDER_DLQ_ARN: deadLetterArn } = config();
  if (!targetArn || !roleArn) return { schedule: async () => {}, cancel: async () => {} };
  const client = new SchedulerClient({ maxAttempts: 3 });
  const name = (reminder: ReminderItem) => `tollgate-reminder-${reminder.id}`;
  return {
    async schedule(reminder) {
      await client.send(
        new CreateScheduleCommand({
          Name: name(reminder),
          GroupName: group,
          // at() takes UTC without a zone suffix, to the second.
          ScheduleExpression: `at(${reminder.dueAt.slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: targetArn,
            RoleArn: roleArn,
            Input: JSON.stringify({ accountId: reminder.accountId, reminderId: reminder.id }),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 6 * 3600 },
            ...(deadLetterArn ? { DeadLetterConfig: { Arn: deadLetterArn } } : {}),
          },
        }),
      );
    },
    async cancel(reminder) {
      try {
        await client.send(new DeleteScheduleCommand({ Name: name(reminder), GroupName: group }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    },
  };
}

import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, documentClient, scanItems, tableName } from '../shared/dynamodb.ts';
import { keys } from '../table/keys.ts';
import type { ReminderItem, ReminderStatus } from './model.ts';

export async function putReminder(reminder: ReminderItem): Promise<void> {
  await documentClient().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...keys.reminder(reminder.accountId, reminder.id), entity: 'reminder', ...reminder },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function findReminder(accountId: string, id: string): Promise<ReminderItem | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.reminder(accountId, id), ConsistentRead: true }));
  return Item as ReminderItem | undefined;
}

/** Moves a reminder between statuses; false when it was not in any of `from` (someone else moved it). */
export async function transitionReminder(
  reminder: Pick<ReminderItem, 'accountId' | 'id'>,
  from: ReminderStatus[],
  to: ReminderStatus,
  at: Date,
  staleBefore?: string,
): Promise<boolean> {
  const values: Record<string, unknown> = { ':to': to, ':at': at.toISOString() };
  const allowed = from.map((status, i) => {
    values[`:from${i}`] = status;
    return `#status = :from${i}`;
  });
  let condition = `(${allowed.join(' OR ')})`;
  if (staleBefore) {
    // A claim (`firing`) left behind by a crashed invocation may be taken over once stale.
    condition = `(${condition} AND (#status <> :firing OR updatedAt < :stale))`;
    values[':firing'] = 'firing';
    values[':stale'] = staleBefore;
  }
  return conditionalWrite(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.reminder(reminder.accountId, reminder.id),
      UpdateExpression: 'SET #status = :to, updatedAt = :at',
      ConditionExpression: `attribute_exists(pk) AND ${condition}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    }),
  );
}

/** Scheduled reminders due by `now`. Only the local scheduler uses this; on AWS, EventBridge Scheduler fires each one. */
export async function dueReminders(now: Date): Promise<ReminderItem[]> {
  const due: ReminderItem[] = [];
  const scheduled = scanItems<ReminderItem>({
    FilterExpression: 'entity = :reminder AND #status IN (:scheduled, :firing) AND dueAt <= :now',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':reminder': 'reminder', ':scheduled': 'scheduled', ':firing': 'firing', ':now': now.toISOString() },
  });
  for await (const reminder of scheduled) due.push(reminder);
  return due;
}

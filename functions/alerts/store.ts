import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AlertSettings } from '../accounts/model.ts';
import { documentClient, tableName } from '../shared/dynamodb.ts';
import { keys } from '../table/keys.ts';

export async function saveAlertSettings(accountId: string, settings: AlertSettings, at: Date): Promise<void> {
  await documentClient().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.account(accountId),
      UpdateExpression: 'SET alerts = :alerts, updatedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':alerts': settings, ':at': at.toISOString() },
    }),
  );
}

import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

/**
 * The floor a metered Lambda is measured against (issue 12): a handler that creates the DynamoDB
 * client and sends one conditional `UpdateItem`, and nothing else — no validation, no logging, no
 * middleware. Its bundle size and cold init are what any function that debits DynamoDB must pay.
 */
const client = new DynamoDBClient({});
const tableName = process.env.TABLE_NAME ?? 'bench';

export async function handler(event: { accountId?: string }): Promise<{ statusCode: number; body: string }> {
  const { Attributes } = await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { pk: { S: `ACCOUNT#${event.accountId ?? ''}` }, sk: { S: 'ACCOUNT' } },
      UpdateExpression: 'SET balance = balance - :price',
      ConditionExpression: 'balance >= :price',
      ExpressionAttributeValues: { ':price': { N: '1' } },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return { statusCode: 200, body: Attributes?.balance?.N ?? '' };
}

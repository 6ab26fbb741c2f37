import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import * as z from 'zod/mini';
import { config } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

/**
 * The SDK-only handler (bench/sdk-only) plus the libraries the project's stack puts in every metered
 * function, each used once and nothing of Tollgate's own: middy, Powertools' metrics, `zod/mini` with
 * its English messages, the document client, and Powertools' logger, loaded on the first line logged
 * (on failure) as Tollgate's functions load it (functions/shared/logger.ts). Its cold init and bundle
 * against the SDK-only handler's are what the stack costs before any metering logic (issue 12's
 * budget is 1.15× and 1.2×); Tollgate's functions against it are what Tollgate's own code costs.
 */
config(en());
const metrics = new Metrics({ namespace: 'StackFloor', serviceName: 'stack-floor' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const tableName = process.env.TABLE_NAME ?? 'bench';
const body = z.strictObject({ accountId: z.string().check(z.minLength(1)), credits: z.optional(z.number().check(z.int(), z.positive())) });

/** The debit, with its failure logged: the logger is loaded on that first line. */
async function send(command: UpdateCommand) {
  try {
    return await documents.send(command);
  } catch (error) {
    const { Logger } = await import('@aws-lambda-powertools/logger');
    new Logger({ serviceName: 'stack-floor' }).error('debit failed', { error });
    throw error;
  }
}

export const handler = middy().handler(async (event: unknown): Promise<{ statusCode: number; body: string }> => {
  const request = body.safeParse(event);
  if (!request.success) return { statusCode: 400, body: z.prettifyError(request.error) };
  const price = request.data.credits ?? 1;
  const { Attributes } = await send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: `ACCOUNT#${request.data.accountId}`, sk: 'ACCOUNT' },
      UpdateExpression: 'SET balance = balance - :price',
      ConditionExpression: 'balance >= :price',
      ExpressionAttributeValues: { ':price': price },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  metrics.addMetric('debits', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  return { statusCode: 200, body: String(Attributes?.balance ?? '') };
});

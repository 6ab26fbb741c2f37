import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from './config.ts';

let client: DynamoDBDocumentClient | undefined;

/** The container's one DynamoDB document client. */
export function documentClient(): DynamoDBDocumentClient {
  if (!client) {
    const endpoint = config().DYNAMODB_ENDPOINT;
    const base = new DynamoDBClient(
      endpoint ? { endpoint, region: process.env.AWS_REGION ?? 'local', credentials: localCredentials, maxAttempts: 3 } : { maxAttempts: 3 },
    );
    client = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  }
  return client;
}

/** DynamoDB Local accepts any credentials; these keep the SDK from searching for real ones. */
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export function tableName(): string {
  return config().TABLE_NAME;
}

import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
  type UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
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

/** Every item a Scan of the table finds, page after page. For scheduled jobs and the local stack, never a request path. */
export async function* scanItems<T>(input: Omit<ScanCommandInput, 'TableName' | 'ExclusiveStartKey'>): AsyncGenerator<T> {
  for await (const page of paginateScan({ client: documentClient() }, { ...input, TableName: tableName() })) {
    yield* (page.Items ?? []) as T[];
  }
}

/** Every item a Query of the table finds, page after page. */
export async function* queryItems<T>(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): AsyncGenerator<T> {
  for await (const page of paginateQuery({ client: documentClient() }, { ...input, TableName: tableName() })) {
    yield* (page.Items ?? []) as T[];
  }
}

/**
 * Sends a conditional write. True when it was applied; false when its condition did not hold,
 * which for Tollgate's writes means "someone else got there first", an expected outcome.
 */
export async function conditionalWrite(command: PutCommand | UpdateCommand): Promise<boolean> {
  try {
    // Narrowed by hand: the client's send() overloads do not accept a union of commands.
    if (command instanceof PutCommand) await documentClient().send(command);
    else await documentClient().send(command);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

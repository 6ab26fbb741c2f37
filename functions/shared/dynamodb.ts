import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { config } from './config.ts';

let client: DynamoDBDocumentClient | undefined;
let singleAttempt: DynamoDBDocumentClient | undefined;

function newDocumentClient(maxAttempts: number): DynamoDBDocumentClient {
  const endpoint = config().DYNAMODB_ENDPOINT;
  const base = new DynamoDBClient(
    endpoint ? { endpoint, region: process.env.AWS_REGION ?? 'local', credentials: localCredentials, maxAttempts } : { maxAttempts },
  );
  return DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
}

/** The container's one DynamoDB document client. */
export function documentClient(): DynamoDBDocumentClient {
  client ??= newDocumentClient(3);
  return client;
}

/**
 * A client that sends each call exactly once, for a write that is not idempotent (a key-less
 * debit): the SDK retries a call whose answer was lost, which would apply it twice. Its caller
 * retries only what DynamoDB certainly refused (throttling); a lost answer stays lost, and the
 * charge it may have made is refunded by the sweeper (docs/design/debit-protocol.md).
 */
export function singleAttemptClient(): DynamoDBDocumentClient {
  singleAttempt ??= newDocumentClient(1);
  return singleAttempt;
}

/** Errors with which DynamoDB refused a call without applying it: safe to send again. */
export const REFUSED_UNAPPLIED = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);

/** How long a throttle-patient call keeps trying: partition limits are per second, so this outlasts a burst. */
export const THROTTLE_PATIENCE_MS = 6000;

/**
 * Sends a call again (jittered backoff up to 1 s) for as long as DynamoDB throttles it, up to
 * `THROTTLE_PATIENCE_MS`: for calls on a hot account's keys (its sub-balances, its spread records,
 * its ledgers), where the SDK's own few retries give up within a second and turn a busy moment
 * into a 503. Only what DynamoDB certainly refused unapplied is sent again; `stop` ends the
 * waiting early (the throttling error is thrown) when the call is no longer needed; `patienceMs`
 * shortens the wait for a call that must not be sent after a deadline.
 */
export async function throttlePatient<T>(send: () => Promise<T>, stop: () => boolean = () => false, patienceMs = THROTTLE_PATIENCE_MS): Promise<T> {
  const giveUpAt = performance.now() + patienceMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!REFUSED_UNAPPLIED.has((error as Error).name) || performance.now() >= giveUpAt || stop()) throw error;
      // Never past the patience: a call that must not be sent after a deadline is not sent after it.
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.random() * Math.min(1000, 20 * 2 ** attempt), giveUpAt - performance.now())));
      if (performance.now() >= giveUpAt) throw error;
    }
  }
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
export async function conditionalWrite(command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean> {
  try {
    // Narrowed by hand: the client's send() overloads do not accept a union of commands.
    await throttlePatient(() =>
      command instanceof PutCommand
        ? documentClient().send(command)
        : command instanceof UpdateCommand
          ? documentClient().send(command)
          : documentClient().send(command),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

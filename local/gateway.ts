import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { matchRoute, type RouteMatch } from '../functions/http/route-match.ts';
import { defaultRouteFunction, type HttpFunctionName } from '../functions/routes.ts';
import { answerUnparsable, handlerCrashed, payloadTooLarge } from './gateway-problems.ts';
import { assertPortFree } from './ports.ts';

type HttpLambda = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;
export type HttpLambdas = Record<HttpFunctionName, HttpLambda>;

/** API Gateway HTTP APIs accept payloads up to 10 MB. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Builds the API Gateway HTTP API (payload format 2.0) event for a request, as AWS would. */
export function toEvent(req: IncomingMessage, body: Buffer, host: string): { event: APIGatewayProxyEventV2; fn: HttpFunctionName } {
  const url = new URL(req.url ?? '/', `http://${host}`);
  const method = req.method ?? 'GET';
  let found: RouteMatch | undefined;
  try {
    found = matchRoute(method, url.pathname);
  } catch {
    // A malformed percent-encoding in a path parameter: no route can take it.
  }
  const matched = found ? { key: found.key, fn: found.route.function } : { key: '$default', fn: defaultRouteFunction };
  const pathParameters = found?.pathParameters;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  headers['x-forwarded-proto'] = 'http';
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const text = body.length > 0 ? decodeUtf8(body) : undefined;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: matched.key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? host,
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: matched.key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : (text ?? body.toString('base64')),
    isBase64Encoded: body.length > 0 && text === undefined,
  };
  return { event, fn: matched.fn };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function decodeUtf8(body: Buffer): string | undefined {
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
}

function lambdaContext(fn: string): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `tollgate-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:tollgate-${fn}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/tollgate-${fn}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, result: { statusCode?: number; headers?: Record<string, unknown>; body?: string; isBase64Encoded?: boolean }) {
  const body = result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode ?? 200, { ...(result.headers as Record<string, string>), ...(body ? { 'Content-Length': body.length } : {}) });
  res.end(body);
}

export interface Gateway {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

/** Serves the route table over HTTP by invoking the real Lambda handlers with API Gateway v2 events. */
export async function startGateway(options: { port: number; host?: string; lambdas: HttpLambdas }): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  if (options.port !== 0) await assertPortFree(options.port, 'the Tollgate API', 'PORT');
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (!body) {
        // The rest of the body is never read, so this connection cannot carry another request.
        res.shouldKeepAlive = false;
        return send(res, payloadTooLarge(MAX_PAYLOAD_BYTES));
      }
      const { event, fn } = toEvent(req, body, req.headers.host ?? host);
      const result = (await options.lambdas[fn](event, lambdaContext(fn))) as Parameters<typeof send>[1];
      send(res, result);
    } catch (error) {
      // A handler that throws past its own error mapping is what API Gateway reports as a 500.
      console.error('[gateway] handler crashed:', error);
      if (!res.headersSent) send(res, handlerCrashed());
    }
  });
  server.on('clientError', answerUnparsable);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The real handlers, loaded from the entries in the route table. */
export async function loadLambdas(): Promise<HttpLambdas> {
  const root = new URL('../', import.meta.url);
  const { httpFunctions } = await import('../functions/routes.ts');
  const entries = await Promise.all(
    Object.entries(httpFunctions).map(async ([name, entry]) => [name, (await import(new URL(entry, root).href)).handler as HttpLambda] as const),
  );
  return Object.fromEntries(entries) as HttpLambdas;
}

import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { answerThrottled } from '../../local/throttle-proxy.ts';

export type CutMode =
  /** The k-th call never reaches DynamoDB. */
  | 'before'
  /** The k-th call is applied by DynamoDB, but its answer is lost. */
  | 'after'
  /**
   * The k-th call is applied by DynamoDB and its answer lost, but DynamoDB stays reachable: the SDK's own retry
   * sends the call again (a fault no emulator produces: a connection reset after the write, before the answer).
   */
  | 'answer-lost';

/**
 * A switchable HTTP proxy in front of DynamoDB Local, standing for the network path to DynamoDB.
 * `down()` closes the listening port (new connections are refused, open ones reset), `up()` opens
 * it again on the same port, and `cutAt(k, mode)` takes DynamoDB away at the k-th call from now —
 * in the middle of a request — and keeps it away until `up()` (`answer-lost` loses one answer only). `throttle(operation)` answers every
 * call of one operation with DynamoDB's throttling error, unapplied, until `up()`.
 */
export class DynamoDbProxy {
  readonly calls: string[] = [];
  /** When each of `calls` arrived (`performance.now()`, this process's clock). */
  readonly arrivals: number[] = [];
  private server!: Server;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private cut?: { at: number; mode: CutMode };
  private isDown = false;
  private readonly throttled = new Set<string>();
  /** Per operation: the next call waits for `release`, and `arrived` tells the test it is there. */
  private readonly held = new Map<string, { released: Promise<void>; arrived: () => void }>();
  private readonly target: URL;

  constructor(target: string) {
    this.target = new URL(target);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.listen();
  }

  cutAt(at: number, mode: CutMode): void {
    this.cut = { at: this.calls.length + at, mode };
  }

  async down(): Promise<void> {
    if (this.isDown) return;
    this.isDown = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /**
   * Holds the next call of `operation` before it reaches DynamoDB until the returned function is called (a slow
   * network path, so that a test can order one request's call after another's). Resolves `reached` once it arrives.
   */
  holdNext(operation: string): { reached: Promise<void>; release: () => void } {
    const reached = Promise.withResolvers<void>();
    const released = Promise.withResolvers<void>();
    this.held.set(operation, { released: released.promise, arrived: reached.resolve });
    return { reached: reached.promise, release: released.resolve };
  }

  throttle(operation: string): void {
    this.throttled.add(operation);
  }

  async up(): Promise<void> {
    this.cut = undefined;
    this.throttled.clear();
    if (!this.isDown) return;
    await this.listen();
    this.isDown = false;
  }

  async stop(): Promise<void> {
    await this.down();
  }

  private listen(): Promise<void> {
    this.server = createServer((req, res) => this.forward(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.isDown) return void req.socket.destroy();
    const operation =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '?';
    this.calls.push(operation);
    this.arrivals.push(performance.now());
    const hold = this.held.get(operation);
    if (hold) {
      this.held.delete(operation);
      hold.arrived();
      await hold.released;
    }
    if (this.throttled.has(operation)) {
      const { TableName } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { TableName?: string };
      return answerThrottled(res, operation.startsWith('Get') || operation === 'Query' || operation === 'Scan' ? 'read' : 'write', TableName ?? 'unknown');
    }
    const cutHere = this.cut && this.calls.length === this.cut.at ? this.cut.mode : undefined;
    if (cutHere === 'before') {
      req.socket.destroy();
      await this.down();
      return;
    }
    const upstream = httpRequest({ host: this.target.hostname, port: this.target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      const body: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => body.push(chunk));
      answer.on('end', async () => {
        if (cutHere === 'after') {
          req.socket.destroy();
          await this.down();
          return;
        }
        if (cutHere === 'answer-lost') {
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        res.end(Buffer.concat(body));
      });
    });
    upstream.on('error', () => req.socket.destroy());
    upstream.end(Buffer.concat(chunks));
  }
}

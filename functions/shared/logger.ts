import type { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogLevel } from '@aws-lambda-powertools/logger/types';
import type middy from '@middy/core';

let powertools: Promise<Logger> | undefined;
let level: LogLevel | undefined;
const writing = new Set<Promise<void>>();

/**
 * Powertools' logger, loaded when the first line is logged: the metered path logs only when something fails, and
 * loading the logger at import costs every cold start about 4 ms (`npm run bench`, cold init). A line is written a
 * moment after the call, so every handler waits for `logsWritten()` before it answers (`writtenLogs()` for middy,
 * `withLogsWritten` otherwise): no line is left behind when Lambda freezes the container.
 */
function powertoolsLogger(): Promise<Logger> {
  powertools ??= import('@aws-lambda-powertools/logger').then(({ Logger }) => {
    const loaded = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'tollgate' });
    if (level) loaded.setLogLevel(level);
    return loaded;
  });
  return powertools;
}

function write(method: 'debug' | 'info' | 'warn' | 'error', message: string, attributes?: LogAttributes): void {
  const line: Promise<void> = powertoolsLogger()
    .then((loaded) => (attributes ? loaded[method](message, attributes) : loaded[method](message)))
    // Logging never fails a request: a line Powertools cannot write goes to stderr without its attributes.
    .catch((error: unknown) => {
      process.stderr.write(`${method.toUpperCase()} ${message} (attributes not logged: ${error instanceof Error ? error.message : 'unprintable error'})\n`);
    })
    .finally(() => writing.delete(line));
  writing.add(line);
}

/** One logger per container. Never log keys, secrets or email addresses. */
export const logger = {
  debug: (message: string, attributes?: LogAttributes) => write('debug', message, attributes),
  info: (message: string, attributes?: LogAttributes) => write('info', message, attributes),
  warn: (message: string, attributes?: LogAttributes) => write('warn', message, attributes),
  error: (message: string, attributes?: LogAttributes) => write('error', message, attributes),
  /** Sets the level now or, before the logger is loaded, when it is. */
  setLogLevel(wanted: LogLevel): void {
    level = wanted;
    void powertools?.then((loaded) => loaded.setLogLevel(wanted)).catch(() => undefined);
  },
};

/** Resolves once every line logged so far is written. */
export async function logsWritten(): Promise<void> {
  while (writing.size > 0) await Promise.all(writing);
}

/** For middy: answers only after the invocation's lines are written. `use` it first, so it runs after the others. */
export function writtenLogs(): middy.MiddlewareObj {
  return { after: logsWritten, onError: logsWritten };
}

/**
 * For a middleware handed to someone else's middy chain (`meter()`): each of its phases returns only after the
 * lines it logged are written, wherever the chain puts it.
 */
export function writingLogs<E, R, Err, C>(middleware: middy.MiddlewareObj<E, R, Err, C>): middy.MiddlewareObj<E, R, Err, C> {
  const written = (phase?: middy.MiddlewareFn<E, R, Err, C>) => phase && withLogsWritten(async (request: middy.Request<E, R, Err, C>) => phase(request));
  return { ...middleware, before: written(middleware.before), after: written(middleware.after), onError: written(middleware.onError) };
}

/** For a handler without middy: returns only after the invocation's lines are written, whether it succeeded or threw. */
export function withLogsWritten<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await handler(...args);
    } finally {
      await logsWritten();
    }
  };
}

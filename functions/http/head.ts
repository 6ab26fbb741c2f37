import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from './types.ts';

/**
 * HEAD runs its path's GET route (checks included) and answers with the same status and headers
 * but no body (RFC 9110 §9.3.2), errors too. Register it before the middlewares that shape the answer, so it sees the
 * final one.
 */
export function headWithoutBody(): middy.MiddlewareObj<HttpEvent, HttpResult, Error, Context> {
  const strip: middy.MiddlewareFn<HttpEvent, HttpResult, Error, Context> = (request) => {
    if (request.event.requestContext?.http?.method === 'HEAD' && request.response) request.response = { ...request.response, body: undefined };
  };
  return { after: strip, onError: strip };
}

/** `HEAD /path` is served by the implementation of `GET /path`. */
export function headAsGet(routeKey: string): string {
  return routeKey.replace(/^HEAD /, 'GET ');
}

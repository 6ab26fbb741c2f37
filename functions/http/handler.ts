import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ProblemFields } from '../shared/errors.ts';
import { logger, writtenLogs } from '../shared/logger.ts';
import { publishMetrics } from '../shared/metrics.ts';
import { headAsGet, headWithoutBody } from './head.ts';
import { problemResponse } from './response.ts';
import type { HttpEvent, HttpResult, RouteHandler } from './types.ts';
import { asTollgateError } from './unavailable.ts';

/** Route key as API Gateway names it, e.g. `POST /v1/accounts/{accountId}/keys`. */
export type RouteMap = Record<string, RouteHandler>;

/**
 * One Lambda handler serving several routes of a feature. Dispatches on `routeKey` and maps
 * errors to problem+json here, once: TollgateErrors keep their status, an unreachable or
 * throttling DynamoDB is a 503 with Retry-After, anything else a 500 that reveals no internals.
 */
export function httpHandler(routes: RouteMap) {
  return middy<HttpEvent, HttpResult, Error, Context>()
    .use(writtenLogs())
    .use(headWithoutBody())
    .use(publishMetrics())
    .use(problemErrors())
    .handler(async (event) => {
      const route = routes[event.routeKey] ?? routes[headAsGet(event.routeKey)];
      if (!route) throw new Error(`No route implementation for ${event.routeKey}`);
      return route(event);
    });
}

function problemErrors(): middy.MiddlewareObj<HttpEvent, HttpResult, Error, Context> {
  return {
    onError: async (request) => {
      const { event } = request;
      const error = asTollgateError(request.error, event);
      const instance = `urn:tollgate:request:${event.requestContext?.requestId ?? 'unknown'}`;
      // Loaded on a container's first error: the page routes' table and the page template cost every cold start otherwise.
      const { errorPage, wantsErrorPage } = await import('./error-page.ts');
      const answer = (problem: ProblemFields) => (wantsErrorPage(event) ? errorPage(problem) : problemResponse(problem, instance));
      if (error) {
        if (error.problem.status >= 500) logger.error('dependency unavailable', { error: request.error, routeKey: event.routeKey });
        request.response = answer(error.problem);
        return;
      }
      logger.error('unhandled error', { error: request.error, routeKey: event.routeKey });
      request.response = answer({
        status: 500,
        slug: 'internal-error',
        title: 'Something went wrong on our side',
        detail: 'The request failed before any work was delivered; metered requests are not charged for it. Please try again.',
      });
    },
  };
}

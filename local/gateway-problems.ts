import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { problemResponse } from '../functions/http/response.ts';
import type { HttpResult } from '../functions/http/types.ts';
import { PayloadTooLargeError, type ProblemFields } from '../functions/shared/errors.ts';

/**
 * The answers the local gateway gives itself, before or after a handler: problem+json like
 * everything else `npm start` serves. (API Gateway's own answers on AWS differ: see the README.)
 */
const instance = 'urn:tollgate:local-gateway';

export function payloadTooLarge(limitBytes: number): HttpResult {
  return problemResponse(new PayloadTooLargeError(limitBytes).problem, instance);
}

export function handlerCrashed(): HttpResult {
  return problemResponse(
    {
      status: 500,
      slug: 'internal-error',
      title: 'Something went wrong on our side',
      detail: 'The request failed before an answer could be given; metered requests are not charged for it. Please try again.',
    },
    instance,
  );
}

const unreadable: Record<string, ProblemFields> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    slug: 'request-header-fields-too-large',
    title: 'The request headers are too large',
    detail: 'Send smaller headers: together they must stay under 16 KB.',
  },
};
const malformed: ProblemFields = {
  status: 400,
  slug: 'validation-error',
  title: 'Your request has invalid input',
  detail: 'The request is not well-formed HTTP/1.1.',
};

/** For `server.on('clientError')`: Node could not parse the request, so no handler can answer it. */
export function answerUnparsable(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const result = problemResponse(unreadable[error.code ?? ''] ?? malformed, instance);
  const body = Buffer.from(result.body ?? '');
  const head = [`HTTP/1.1 ${result.statusCode} ${STATUS_CODES[result.statusCode]}`, 'Connection: close', `Content-Length: ${body.length}`];
  for (const [name, value] of Object.entries(result.headers ?? {})) head.push(`${name}: ${value}`);
  socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]));
}

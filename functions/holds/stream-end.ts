import { Readable, Transform } from 'node:stream';
import { ReadableStream } from 'node:stream/web';

/** A streamed answer's body (Lambda response streaming through middy's `streamifyResponse`). */
export type StreamBody = Readable | ReadableStream;

export function isStreamBody(body: unknown): body is StreamBody {
  return body instanceof Readable || body instanceof ReadableStream;
}

export interface StreamEndHooks {
  /** After the last chunk went through and before the answer ends, so the invocation waits for it. */
  ended: () => Promise<void>;
  /** The body broke, or the client went away, before its end. */
  failed: (error: Error) => Promise<void>;
}

/**
 * The same body, chunk for chunk, with a hook on how it ends: exactly one of `ended` and `failed`
 * runs. A failure of `ended` itself fails the answer and does not run `failed` (the body was
 * delivered whole).
 */
export function whenBodyEnds(body: StreamBody, hooks: StreamEndHooks): Readable {
  const source = body instanceof ReadableStream ? Readable.fromWeb(body) : body;
  let decided = false;
  const out = new Transform({
    transform: (chunk, _encoding, callback) => callback(null, chunk),
    flush: (callback) => {
      decided = true;
      hooks.ended().then(() => callback(), callback);
    },
    destroy: (error, callback) => {
      source.destroy();
      if (!error || decided) return callback(error);
      decided = true;
      hooks.failed(error).then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
  source.on('error', (error) => out.destroy(error));
  source.pipe(out);
  return out;
}

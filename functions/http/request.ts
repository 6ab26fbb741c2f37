import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../shared/errors.ts';
import { sha256 } from '../shared/ids.ts';
import * as z from '../shared/schema.ts';
import { duplicateKey } from './duplicate-keys.ts';
import type { HttpEvent } from './types.ts';

/** Bodies above this are refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024;

export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

export interface ParsedBody<T> {
  value: T;
  /** Hash of the canonical JSON, to tell an idempotent retry from a different request. */
  hash: string;
}

/** Parses and validates a JSON body; an absent body is `{}`. Unknown fields are refused by strict schemas. */
export function parseBody<S extends Schema>(event: HttpEvent, schema: S): ParsedBody<z.output<S>> {
  const raw = rawBody(event);
  if (raw !== '') {
    const contentType = header(event, 'content-type') ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) throw new UnsupportedMediaTypeError();
  }
  let data: unknown = {};
  if (raw.trim() !== '') {
    try {
      data = JSON.parse(raw);
    } catch (error) {
      throw new ValidationError(`The body is not valid JSON: ${(error as Error).message}`);
    }
    if (nestedDeeperThan(data, MAX_BODY_DEPTH)) throw new ValidationError(`The body is nested more than ${MAX_BODY_DEPTH} levels deep.`);
    const repeated = duplicateKey(raw);
    if (repeated)
      throw new ValidationError(`${repeated}: appears more than once; send each field once.`, [{ path: repeated, message: 'appears more than once' }]);
  }
  const value = validate(schema, data, 'body');
  return { value, hash: sha256(JSON.stringify(canonical(value))) };
}

/** Deeper JSON is refused before anything recurses over it (a 16 KB body can nest 8,000 arrays). */
export const MAX_BODY_DEPTH = 32;

function nestedDeeperThan(data: unknown, limit: number): boolean {
  const pending: [value: unknown, depth: number][] = [[data, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (value === null || typeof value !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return false;
}

function rawBody(event: HttpEvent): string {
  if (event.body === undefined || event.body === null) return '';
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new ValidationError('The body is not valid UTF-8.');
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function parseQuery<S extends Schema>(event: HttpEvent, schema: S): z.output<S> {
  return validate(schema, event.queryStringParameters ?? {}, 'query');
}

export function pathParam(event: HttpEvent, name: string, pattern: RegExp): string {
  const value = event.pathParameters?.[name];
  if (!value || !pattern.test(value)) throw new ValidationError(`"${name}" in the path is not a valid id.`);
  return value;
}

/** A schema of `zod/mini` (what Lambdas use) or of full `zod` (the same core). */
export type Schema = z.core.$ZodType;

/** Validates `data`; error paths start with `where` (e.g. `body.input`). */
export function validate<S extends Schema>(schema: S, data: unknown, where: string): z.output<S> {
  const result = z.safeParse(schema, data);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message }));
  throw new ValidationError(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
}

export const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;

/** The `Idempotency-Key` header: 1–255 visible ASCII characters. */
export function idempotencyKey(event: HttpEvent, required: true): string;
export function idempotencyKey(event: HttpEvent, required: false): string | undefined;
export function idempotencyKey(event: HttpEvent, required: boolean): string | undefined {
  const value = header(event, 'idempotency-key');
  if (value === undefined) {
    if (required)
      throw new ValidationError('This request needs an "Idempotency-Key" header (1–255 visible ASCII characters), so that a retry is never applied twice.');
    return undefined;
  }
  if (!IDEMPOTENCY_KEY.test(value)) throw new ValidationError('"Idempotency-Key" must be 1–255 visible ASCII characters (no spaces or control characters).');
  return value;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Control characters, lone surrogates, and bidi overrides/isolates (which can make a name read as something else). */
const UNSAFE_TEXT = /[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]/u;

const credits = z.builtOnFirstUse(() =>
  z
    .number({ error: 'must be a number' })
    .check(z.int('must be a whole number of credits'), z.positive('must be greater than zero'), z.maximum(1_000_000_000, 'must be at most 1,000,000,000')),
);
const operation = z.builtOnFirstUse(() => z.string().check(z.regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a lower-case operation name such as "search"')));

/** Shared field schemas, each built when first used (`builtOnFirstUse`). */
export const fields = {
  get credits() {
    return credits();
  },
  get operation() {
    return operation();
  },
  text: (max: number) =>
    z.string().check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(max, `must be at most ${max} characters`),
      z.refine((s) => !UNSAFE_TEXT.test(s), 'must not contain control characters, lone surrogates or bidirectional overrides'),
    ),
};

/** Absolute base URL for links in answers: configured, or the host this request came to. */
export function baseUrl(event: HttpEvent, configured?: string): string {
  if (configured) return configured.replace(/\/+$/, '');
  const proto = header(event, 'x-forwarded-proto') === 'http' ? 'http' : 'https';
  return `${proto}://${event.requestContext.domainName}`;
}

/** The fields of an HTML form post (`application/x-www-form-urlencoded`), from pages people click through. */
export function formBody(event: HttpEvent): URLSearchParams {
  const body = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  return new URLSearchParams(body);
}

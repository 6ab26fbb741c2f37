/**
 * Writes docs/openapi.json (OpenAPI 3.1) from the code: each feature's `functions/<feature>/openapi.ts`
 * lists its operations, and the request and response schemas are the code's own zod schemas, turned
 * into JSON Schema by zod. `npm run openapi` writes the file; test/openapi.test.ts fails when the
 * committed file differs from what this produces.
 *
 * To add an operation:
 *   1. Add its route to `functions/routes.ts` (tags and security come from there).
 *   2. Add one entry to `operations` in `functions/<feature>/openapi.ts`: method, path, operationId,
 *      summary, parameters, requestBody, responses by status. Put the zod schemas of its body and
 *      answers in that module's `requests` / `responses` (named: the name is the component's), and
 *      use the zod schema itself wherever the operation needs one; it becomes a `$ref`.
 *   3. `npm run openapi`, and commit docs/openapi.json with the change.
 * A request Tollgate sends to the operator (a webhook) goes in the feature's `webhooks` the same way.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { accountsApi } from '../functions/accounts/openapi.ts';
import { alertsApi } from '../functions/alerts/openapi.ts';
import { consoleApi } from '../functions/console/openapi.ts';
import { copyApi } from '../functions/copy/openapi.ts';
import { funnelApi } from '../functions/funnel/openapi.ts';
import { healthApi } from '../functions/health/openapi.ts';
import { holdsApi } from '../functions/holds/openapi.ts';
import { type Described, type DocValue, type FeatureApi, httpApi, info, type Operation, type Schema, securitySchemes } from '../functions/http/openapi.ts';
import { meteringApi } from '../functions/metering/openapi.ts';
import { paymentsApi } from '../functions/payments/openapi.ts';
import { pricingApi } from '../functions/pricing/openapi.ts';
import { queriesApi } from '../functions/queries/openapi.ts';
import { recoveryApi } from '../functions/recovery/openapi.ts';
import { remindersApi } from '../functions/reminders/openapi.ts';
import { type Route, routeKey, routes } from '../functions/routes.ts';
import { usageApi } from '../functions/usage/openapi.ts';
import { webhooksApi } from '../functions/webhooks/openapi.ts';
import pkg from '../package.json' with { type: 'json' };

export const DOCUMENT_FILE = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

/** Every feature's part of the document; a new feature's `openapi.ts` is added here once. */
export const features: FeatureApi[] = [
  httpApi,
  healthApi,
  pricingApi,
  recoveryApi,
  accountsApi,
  meteringApi,
  usageApi,
  queriesApi,
  alertsApi,
  remindersApi,
  paymentsApi,
  holdsApi,
  copyApi,
  funnelApi,
  webhooksApi,
  consoleApi,
];

// A link carries a signed token in its query string and a webhook a signature over its body: no bearer key.
const SECURITY: Record<Route['auth'], DocValue[]> = {
  none: [],
  admin: [{ adminKey: [] }],
  client: [{ apiKey: [] }],
  link: [],
  webhook: [],
  console: [{ consoleSession: [] }],
};

type Json = Record<string, unknown>;

/** The whole document, as `npm run openapi` writes it. */
export function openApiDocument(parts: FeatureApi[] = features): Json {
  const names = new Map<Schema, string>();
  // A Described's words: zod takes only the id from a registry (its words come from `.meta()`), so they are added here.
  const words = new Map<string, Record<string, unknown>>();
  // Requests as the code accepts them (defaults make fields optional), answers as the code sends them.
  // Answers may refer to each other; requests may refer to answers' schemas too (e.g. OperationName).
  const requests = z.registry<{ id: string }>();
  const answers = z.registry<{ id: string }>();
  const name = (entry: Schema | Described, id: string, registries: z.core.$ZodRegistry<{ id: string }>[]) => {
    const { schema, meta } = isSchema(entry) ? { schema: entry, meta: {} } : entry;
    if (names.has(schema) || [...names.values()].includes(id)) throw new Error(`schema ${id} is named twice`);
    names.set(schema, id);
    words.set(id, meta);
    for (const registry of registries) registry.add(schema, { ...meta, id });
  };
  for (const feature of parts) for (const [id, schema] of Object.entries(feature.responses ?? {})) name(schema, id, [answers, requests]);
  const answerIds = new Set(names.values());
  for (const feature of parts) for (const [id, schema] of Object.entries(feature.requests ?? {})) name(schema, id, [requests]);
  const convert = (registry: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output') =>
    z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'throw', override: tidy(io) })
      .schemas as Record<string, Json>;
  const inputs = convert(requests, 'input');
  const outputs = convert(answers, 'output');
  const schemas: Record<string, Json> = {};
  for (const id of names.values()) {
    const { $schema: _dialect, $id: _id, ...schema } = (answerIds.has(id) ? outputs : inputs)[id] ?? {};
    schemas[id] = { ...schema, ...words.get(id) };
  }

  const toDoc = (value: DocValue | undefined): unknown => {
    if (isSchema(value)) {
      const name = names.get(value);
      if (!name)
        throw new Error(
          `a schema used by an operation is not named in any feature's requests or responses: ${JSON.stringify(z.toJSONSchema(value as z.ZodType))}`,
        );
      return { $ref: `#/components/schemas/${name}` };
    }
    if (Array.isArray(value)) return value.map(toDoc);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, toDoc(v as DocValue)]));
    return value;
  };

  const operations = new Map<string, Operation>();
  for (const op of parts.flatMap((f) => f.operations ?? [])) {
    const key = routeKey(op);
    if (operations.has(key)) throw new Error(`${key} is documented twice`);
    operations.set(key, op);
  }
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const op = operations.get(routeKey(route));
    if (!op) throw new Error(`${routeKey(route)} (functions/routes.ts) has no entry in its feature's openapi.ts`);
    operations.delete(routeKey(route));
    const { method, path, ...rest } = op;
    paths[path] ??= {};
    const pathItem = paths[path];
    pathItem[method.toLowerCase()] = { tags: [route.function], ...(toDoc(rest as DocValue) as Json), security: SECURITY[route.auth] };
  }
  if (operations.size > 0) throw new Error(`not in functions/routes.ts: ${[...operations.keys()].join(', ')}`);

  const webhooks: Record<string, Json> = {};
  for (const hook of parts.flatMap((f) => f.webhooks ?? [])) {
    if (webhooks[hook.name]) throw new Error(`webhook ${hook.name} is documented twice`);
    webhooks[hook.name] = { [hook.method.toLowerCase()]: toDoc(hook.operation as DocValue) };
  }

  const component = (part: 'parameters' | 'headers' | 'responses') =>
    Object.fromEntries(parts.flatMap((f) => Object.entries(f.components?.[part] ?? {})).map(([name, value]) => [name, toDoc(value)]));
  return {
    ...info,
    info: { ...info.info, version: pkg.version, summary: pkg.description, license: { name: pkg.license, identifier: pkg.license } },
    paths,
    webhooks,
    components: { securitySchemes, parameters: component('parameters'), headers: component('headers'), responses: component('responses'), schemas },
  };
}

/**
 * zod's JSON Schema, tidied for readers and client generators: formats without zod's long equivalent
 * patterns, integers without the safe-integer bounds, and answers open to new members (clients must ignore members they do not know; the
 * conformance test checks that every member the code sends is documented).
 */
function tidy(io: 'input' | 'output') {
  return ({ jsonSchema }: { jsonSchema: Json }) => {
    if (jsonSchema.format === 'date-time' || jsonSchema.format === 'date' || jsonSchema.format === 'email') delete jsonSchema.pattern;
    if (io === 'output' && jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
    // z.int()'s own bounds (safe integers) say nothing a reader needs.
    if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
    if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  };
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DOCUMENT_FILE, openApiText());
  console.log(`wrote ${DOCUMENT_FILE}`);
}

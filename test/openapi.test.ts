import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accountView, balanceOf } from '../functions/accounts/model.ts';
import { alertSettingsPatch, alertsView } from '../functions/alerts/settings.ts';
import { problemBody } from '../functions/http/response.ts';
import { ledgerEntryView } from '../functions/metering/ledger.ts';
import { pricing } from '../functions/pricing/catalog.ts';
import { priceList } from '../functions/pricing/prices.ts';
import { insufficientCreditsProblem } from '../functions/recovery/insufficient-credits.ts';
import { type Route, routeKey, routes } from '../functions/routes.ts';
import { NotFoundError, ValidationError } from '../functions/shared/errors.ts';
import { summarizeUsage } from '../functions/usage/aggregate.ts';

/**
 * Pure file checks of docs/openapi.json against the one route table (functions/routes.ts) and
 * against the bodies the pure parts of the code produce. No network, no DynamoDB.
 */
type Json = any;

const doc: Json = JSON.parse(readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8'));
const pkg: Json = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/** Resolves a local `#/…` JSON pointer; undefined when it points nowhere. */
function pointer(ref: string): Json {
  if (!ref.startsWith('#/')) return undefined;
  let node: Json = doc;
  for (const raw of ref.slice(2).split('/')) {
    const part = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

/** Follows `$ref`s (a Reference Object, or a schema that is only a `$ref`). */
function deref(node: Json): Json {
  let current = node;
  for (let hops = 0; current && typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`$ref cycle at ${current.$ref}`);
    const target = pointer(current.$ref);
    if (target === undefined) throw new Error(`unresolved $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

interface DocumentedOperation {
  key: string;
  path: string;
  method: string;
  pathItem: Json;
  operation: Json;
}

const operations: DocumentedOperation[] = Object.entries<Json>(doc.paths ?? {}).flatMap(([path, pathItem]) =>
  METHODS.filter((method) => pathItem[method]).map((method) => ({
    key: routeKey({ method: method.toUpperCase() as Route['method'], path }),
    path,
    method,
    pathItem,
    operation: pathItem[method],
  })),
);
const documented = new Map(operations.map((op) => [op.key, op]));

function operationOf(route: Route): DocumentedOperation {
  const op = documented.get(routeKey(route));
  if (!op) throw new Error(`${routeKey(route)} is not documented`);
  return op;
}

/** Path-item and operation parameters, resolved; operation ones override by name + location. */
function parametersOf(op: DocumentedOperation): Json[] {
  const all = [...(op.pathItem.parameters ?? []), ...(op.operation.parameters ?? [])].map(deref);
  return [...new Map(all.map((p) => [`${p.in}:${String(p.name).toLowerCase()}`, p])).values()];
}

function walk(node: Json, visit: (node: Json, at: string) => void, at = '#'): void {
  if (node === null || typeof node !== 'object') return;
  visit(node, at);
  for (const [key, value] of Object.entries(node)) walk(value, visit, `${at}/${key}`);
}

/**
 * A small structural check of a value against a schema of this document: types, required and
 * documented properties (a field the code sends must be documented), const/enum, items, allOf/anyOf.
 */
function conformance(schemaOrRef: Json, value: unknown, at = '$', checkUnknown = true): string[] {
  const schema = deref(schemaOrRef);
  if (schema === undefined || schema === true) return [];
  const problems: string[] = [];
  // allOf parts each document some of the properties; unknown fields are checked against all of them below.
  if (schema.allOf) for (const part of schema.allOf) problems.push(...conformance(part, value, at, false));
  if (schema.anyOf && !schema.anyOf.some((part: Json) => conformance(part, value, at).length === 0)) problems.push(`${at}: matches none of anyOf`);
  if ('const' in schema && value !== schema.const) problems.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (schema.type) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    const fits = types.some((t) => t === actual || (t === 'integer' && Number.isInteger(value)) || (t === 'number' && actual === 'number'));
    if (!fits) return [...problems, `${at}: ${actual} is not ${types.join(' | ')}`];
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) problems.push(...conformance(schema.items, item, `${at}[${i}]`));
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (record[name] === undefined) problems.push(`${at}.${name}: required but missing`);
    for (const [name, sub] of Object.entries<Json>(schema.properties ?? {})) {
      if (record[name] !== undefined) problems.push(...conformance(sub, record[name], `${at}.${name}`));
    }
    const known = documentedProperties(schema);
    if (checkUnknown && known) {
      for (const name of Object.keys(record)) if (record[name] !== undefined && !known.has(name)) problems.push(`${at}.${name}: not documented`);
    }
  }
  return problems;
}

/** Every property name a schema (with its allOf parts) documents; undefined when it documents none. */
function documentedProperties(schemaOrRef: Json): Set<string> | undefined {
  const schema = deref(schemaOrRef);
  if (!schema || typeof schema !== 'object') return undefined;
  const names = new Set<string>(Object.keys(schema.properties ?? {}));
  for (const part of schema.allOf ?? []) for (const name of documentedProperties(part) ?? []) names.add(name);
  return names.size > 0 ? names : undefined;
}

/** The Problem schema itself, or one that extends it (allOf) or offers only Problem variants (anyOf). */
function builtOnProblem(schemaOrRef: Json): boolean {
  if (schemaOrRef?.$ref === '#/components/schemas/Problem') return true;
  const schema = deref(schemaOrRef);
  if (!schema || typeof schema !== 'object') return false;
  if (schema.allOf?.some(builtOnProblem)) return true;
  return Array.isArray(schema.anyOf) && schema.anyOf.every(builtOnProblem);
}

const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
// 'link' routes carry a signed token in the query string instead of a bearer key.
const SECURITY: Record<Route['auth'], Json[]> = { none: [], admin: [{ adminKey: [] }], client: [{ apiKey: [] }], link: [] };
/** Routes that refuse a request without an Idempotency-Key (`idempotencyKey(event, true)`). */
const IDEMPOTENCY_REQUIRED = ['POST /v1/accounts/{accountId}/top-ups', 'POST /v1/accounts/{accountId}/debits'];
const IDEMPOTENCY_OPTIONAL = ['POST /v1/queries'];

describe('docs/openapi.json', () => {
  it('is an OpenAPI 3.1 document of this package', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBe('Tollgate');
    expect(doc.info.version).toBe(pkg.version);
    expect(doc.info.license.identifier).toBe(pkg.license);
    expect(doc.components.securitySchemes.adminKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents exactly the routes of the route table, no more and no fewer', () => {
    const tableKeys = routes.map(routeKey).sort();
    expect([...documented.keys()].sort()).toEqual(tableKeys);
    expect(new Set(tableKeys).size).toBe(tableKeys.length);
  });

  it.each(routes.map((route) => [routeKey(route), route] as const))('%s: operationId, tag and security match the route', (_key, route) => {
    const { operation } = operationOf(route);
    expect(operation.operationId).toMatch(/^[a-zA-Z][a-zA-Z0-9]*$/);
    expect(operation.summary).toBeTruthy();
    expect(operation.tags).toEqual([route.function]);
    expect(operation.security).toEqual(SECURITY[route.auth]);
  });

  it('has unique operationIds', () => {
    const ids = operations.map((op) => op.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(routes.map((route) => [routeKey(route), route] as const))('%s: every path parameter is documented as required', (_key, route) => {
    const op = operationOf(route);
    const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const pathParams = parametersOf(op).filter((p) => p.in === 'path');
    expect(pathParams.map((p) => p.name).sort()).toEqual(names.sort());
    for (const p of pathParams) expect(p.required).toBe(true);
  });

  it('resolves every $ref to a component', () => {
    const refs: string[] = [];
    walk(doc, (node, at) => {
      if (typeof node.$ref === 'string') refs.push(`${at} → ${node.$ref}`);
    });
    expect(refs.length).toBeGreaterThan(0);
    const broken = refs.filter((entry) => {
      const ref = entry.split(' → ')[1] ?? '';
      return !ref.startsWith('#/components/') || pointer(ref) === undefined;
    });
    expect(broken).toEqual([]);
  });

  it.each(routes.map((route) => [routeKey(route), route] as const))('%s: documents a 2xx answer and its problem+json errors', (_key, route) => {
    const responses = Object.entries<Json>(operationOf(route).operation.responses ?? {}).map(([status, response]) => [status, deref(response)] as const);
    expect(responses.some(([status]) => /^2\d\d$/.test(status))).toBe(true);
    const isProblem = (response: Json) => Object.keys(response.content ?? {}).join() === 'application/problem+json';
    // Pages opened from a link may also answer an error as HTML for the browser, but always offer problem+json too.
    const isProblemOrPage = (response: Json) => {
      const types = Object.keys(response.content ?? {}).sort();
      return types.join() === 'application/problem+json' || (route.auth === 'link' && types.join() === 'application/problem+json,text/html');
    };
    // Every error answer is problem+json (RFC 9457) with a schema built on Problem.
    for (const [status, response] of responses.filter(([s]) => /^[45]\d\d$/.test(s))) {
      expect(isProblemOrPage(response), `${status} is problem+json`).toBe(true);
      expect(builtOnProblem(response.content['application/problem+json'].schema), `${status} schema`).toBe(true);
    }
    // Routes that take a key or a signed link can always be refused with a 4xx; the keyless health check cannot.
    if (route.auth !== 'none') {
      expect(responses.some(([status, response]) => /^4\d\d$/.test(status) && isProblem(response))).toBe(true);
      // A link is never asked for a bearer, so never 401: a bad signature is 403, an expired link 410.
      const refusals = route.auth === 'link' ? ['403', '410'] : ['401', '403'];
      expect(responses.map(([status]) => status)).toEqual(expect.arrayContaining(refusals));
      if (route.auth === 'link') expect(responses.map(([status]) => status)).not.toContain('401');
    }
  });

  it.each(routes.filter((route) => route.auth === 'link').map((route) => [routeKey(route), route] as const))(
    '%s: takes the signed link token in the query and answers an HTML page',
    (_key, route) => {
      const op = operationOf(route);
      const token = parametersOf(op).find((p) => p.in === 'query' && p.name === 'token');
      expect(token?.required).toBe(true);
      expect(token?.schema).toMatchObject({ type: 'string', minLength: 10, maxLength: 2048 });
      expect(parametersOf(op).filter((p) => p.in === 'header' && String(p.name).toLowerCase() === 'authorization')).toEqual([]);
      const ok = deref(op.operation.responses['200']);
      expect(Object.keys(ok.content)).toEqual(['text/html']);
      expect(ok.content['text/html'].schema.type).toBe('string');
    },
  );

  it('documents the one-click unsubscribe body of RFC 8058', () => {
    const op = documented.get('POST /v1/alerts/unsubscribe');
    const body = op?.operation.requestBody;
    expect(body.required).toBe(false);
    expect(Object.keys(body.content)).toEqual(['application/x-www-form-urlencoded']);
    const form = deref(body.content['application/x-www-form-urlencoded'].schema);
    expect(form.additionalProperties).toBe(false);
    expect(form.properties).toEqual({ 'List-Unsubscribe': { const: 'One-Click' } });
    expect(Object.keys(deref(op?.operation.responses['400']).content).sort()).toEqual(['application/problem+json', 'text/html']);
  });

  it('documents Idempotency-Key as a required header where the code requires it, and as optional on queries', () => {
    const idempotencyHeader = (key: string) => {
      const op = documented.get(key);
      if (!op) throw new Error(`${key} is not documented`);
      return parametersOf(op).find((p) => p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key');
    };
    for (const key of IDEMPOTENCY_REQUIRED) {
      const param = idempotencyHeader(key);
      expect(param, key).toBeDefined();
      expect(param.required, key).toBe(true);
      expect(param.schema.maxLength).toBe(255);
      expect(deref(documented.get(key)?.operation.responses['422'])?.content?.['application/problem+json'], key).toBeDefined();
    }
    for (const key of IDEMPOTENCY_OPTIONAL) expect(idempotencyHeader(key)?.required, key).toBe(false);
    for (const key of documented.keys()) {
      if (!IDEMPOTENCY_REQUIRED.includes(key) && !IDEMPOTENCY_OPTIONAL.includes(key)) expect(idempotencyHeader(key), key).toBeUndefined();
    }
  });

  it('describes the strict request schemas as closed, and the catalogue’s operations and plans', () => {
    for (const name of [
      'CreateAccountRequest',
      'CreateKeyRequest',
      'TopUpRequest',
      'DebitRequest',
      'QueryRequest',
      'SearchInput',
      'ReportInput',
      'ExportInput',
      'AlertSettingsPatch',
    ]) {
      expect(deref(schema(name)).additionalProperties, name).toBe(false);
    }
    expect(deref(schema('QueryRequest')).properties.operation.enum).toEqual(Object.keys(pricing.operations));
    expect(deref(schema('CreateAccountRequest')).properties.plan.enum).toEqual(pricing.plans.map((plan) => plan.id));
    expect(deref(schema('CreateAccountRequest')).properties.plan.default).toBe(pricing.defaultPlan);
    expect(Object.keys(deref(schema('AlertSettingsPatch')).properties).sort()).toEqual(Object.keys(alertSettingsPatch.shape).sort());
  });

  it('documents the limits of the alert settings the code enforces', () => {
    const documentedThresholds = deref(schema('AlertSettingsPatch')).properties.thresholds;
    expect(documentedThresholds).toMatchObject({ minItems: 1, maxItems: 5, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 99 } });
    const accepts = (thresholds: unknown) => alertSettingsPatch.safeParse({ thresholds }).success;
    expect([
      accepts([1]),
      accepts([99, 50, 20, 5, 1]),
      accepts([]),
      accepts([0]),
      accepts([100]),
      accepts([5, 5]),
      accepts([1, 2, 3, 4, 5, 6]),
      accepts([2.5]),
    ]).toEqual([true, true, false, false, false, false, false, false]);
    expect(alertSettingsPatch.parse({ thresholds: [5, 50, 20] }).thresholds).toEqual([50, 20, 5]);
  });
});

describe('docs/openapi.json matches the bodies the code builds', () => {
  const now = new Date('2025-06-01T12:00:00.000Z');
  const usage = summarizeUsage(
    [
      { id: 'tu_1', type: 'top_up', credits: 100, at: '2025-05-30T09:00:00.000Z', seq: 1, balanceAfter: 100 },
      { id: 'q_a', type: 'debit', credits: -10, operation: 'report', queryId: 'q_a', at: '2025-05-31T09:00:00.000Z', seq: 2, balanceAfter: 90 },
      { id: 'db_b', type: 'debit', credits: -87, operation: 'search', at: '2025-05-31T10:00:00.000Z', seq: 3, balanceAfter: 3 },
    ],
    new Date('2025-05-02T12:00:00.000Z'),
    now,
  );
  const recovery = (query?: { id: string; resumableUntil: string }) =>
    problemBody(
      insufficientCreditsProblem({
        balance: balanceOf({ balance: 3 }, now),
        required: 10,
        operation: 'report',
        query,
        usage,
        pricing,
        baseUrl: 'https://api.example.com',
      }),
      'urn:tollgate:request:r1',
    );
  const account = {
    id: 'acc_AAAAAAAAAAAAAAAA',
    name: 'Test Co',
    email: 'owner@test.example',
    plan: 'free',
    balance: 3,
    seq: 3,
    keys: {},
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };

  it.each([
    ['InsufficientCredits (parked query)', 'InsufficientCredits', recovery({ id: 'q_AAAAAAAAAAAAAAAA', resumableUntil: '2025-06-03T12:00:00.000Z' })],
    ['InsufficientCredits (admin debit)', 'InsufficientCredits', recovery()],
    ['Problem', 'Problem', problemBody(new NotFoundError('There is no account "acc_x".').problem, 'urn:tollgate:request:r1')],
    [
      'ValidationProblem',
      'ValidationProblem',
      problemBody(new ValidationError('body.credits: bad', [{ path: 'body.credits', message: 'bad' }]).problem, 'urn:x'),
    ],
    ['Prices', 'Prices', priceList(pricing)],
    ['Usage', 'Usage', usage],
    ['Balance', 'Balance', balanceOf(account, now)],
    ['Account', 'Account', accountView(account, now)],
    ['AlertSettings (defaults)', 'AlertSettings', alertsView(account)],
    [
      'AlertSettings (stored)',
      'AlertSettings',
      alertsView({ ...account, baseline: 100, alerts: { thresholds: [30, 10], email: 'ops@test.example', enabled: false } }),
    ],
    ['AlertSettingsPatch', 'AlertSettingsPatch', alertSettingsPatch.parse({ thresholds: [10, 40], email: 'ops@test.example', enabled: true })],
    [
      'LedgerEntry',
      'LedgerEntry',
      ledgerEntryView({ id: 'q_a', type: 'debit', credits: -10, operation: 'report', queryId: 'q_a', at: now.toISOString(), seq: 2, balanceAfter: 90 }),
    ],
  ] as const)('%s', (_name, schemaName, body) => {
    expect(conformance(schema(schemaName), JSON.parse(JSON.stringify(body)))).toEqual([]);
  });

  it('the 402 example is the recovery answer of the current code', () => {
    const example = deref({ $ref: '#/components/responses/InsufficientCredits' }).content['application/problem+json'].examples.parkedQuery.value;
    expect(conformance(schema('InsufficientCredits'), example)).toEqual([]);
    const action = (body: Json, id: string) => body.actions.find((a: Json) => a.id === id);
    const fresh = recovery({ id: example.query.id, resumableUntil: example.query.expiresAt }) as Json;
    expect(example.title).toBe(fresh.title);
    expect(example.actions.map((a: Json) => a.id)).toEqual(fresh.actions.map((a: Json) => a.id));
    expect(action(example, 'top_up').options).toEqual(action(fresh, 'top_up').options);
  });
});

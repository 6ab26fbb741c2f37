import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { features, openApiDocument, openApiText } from '../bin/openapi.ts';
import { accountView, balanceOf } from '../functions/accounts/model.ts';
import { alertsView } from '../functions/alerts/settings.ts';
import { alertSettingsPatch } from '../functions/alerts/settings-patch.ts';
import { LOCALES } from '../functions/copy/locales.ts';
import { previewSurface } from '../functions/copy/preview.ts';
import { copyFor } from '../functions/copy/render.ts';
import { copyView, experimentView } from '../functions/copy/routes.ts';
import { buildReport } from '../functions/funnel/report.ts';
import { html, json, problemBody } from '../functions/http/response.ts';
import type { HttpEvent } from '../functions/http/types.ts';
import { ledgerEntryView } from '../functions/metering/ledger.ts';
import type { TxnItem } from '../functions/metering/txn.ts';
import { checkoutResultPage, noCheckoutPage } from '../functions/payments/pages.ts';
import { priceList } from '../functions/pricing/prices.ts';
import { resumedPage, resumePage } from '../functions/queries/resume-pages.ts';
import { insufficientCreditsProblem } from '../functions/recovery/insufficient-credits.ts';
import type { SocialProof } from '../functions/recovery/social-proof.ts';
import { durationMs } from '../functions/reminders/duration.ts';
import { MAX_DELAY_MS, MIN_DELAY_MS, reminderView } from '../functions/reminders/model.ts';
import { remindConfirmationPage, remindPage } from '../functions/reminders/pages.ts';
import { type Route, routeKey, routes } from '../functions/routes.ts';
import { NotFoundError, ValidationError } from '../functions/shared/errors.ts';
import { summarizeUsage } from '../functions/usage/aggregate.ts';
import { pricing } from './support/prices.ts';

const english = copyFor('en');

/**
 * Pure file checks of docs/openapi.json against the one route table (functions/routes.ts) and
 * against the bodies the pure parts of the code produce. No network, no DynamoDB.
 */
type Json = any;

const committed = readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8');
const doc: Json = JSON.parse(committed);
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
 * documented properties (a field the code sends must be documented), const/enum, items, allOf/anyOf/oneOf.
 */
function conformance(schemaOrRef: Json, value: unknown, at = '$', checkUnknown = true): string[] {
  const schema = deref(schemaOrRef);
  if (schema === undefined || schema === true) return [];
  const problems: string[] = [];
  // allOf parts each document some of the properties; unknown fields are checked against all of them below.
  if (schema.allOf) for (const part of schema.allOf) problems.push(...conformance(part, value, at, false));
  if (schema.anyOf && !schema.anyOf.some((part: Json) => conformance(part, value, at).length === 0)) problems.push(`${at}: matches none of anyOf`);
  if (schema.oneOf) {
    const matches = schema.oneOf.filter((part: Json) => conformance(part, value, at).length === 0).length;
    if (matches !== 1) problems.push(`${at}: matches ${matches} of oneOf, not exactly one`);
  }
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

/**
 * The Problem schema itself, one that extends it (allOf, or whole: all of Problem's required members
 * among its own) or offers only Problem variants (anyOf).
 */
function builtOnProblem(schemaOrRef: Json): boolean {
  if (schemaOrRef?.$ref === '#/components/schemas/Problem') return true;
  const schema = deref(schemaOrRef);
  if (!schema || typeof schema !== 'object') return false;
  if (schema.allOf?.some(builtOnProblem)) return true;
  const problemMembers: string[] = pointer('#/components/schemas/Problem').required;
  if (problemMembers.every((name) => schema.required?.includes(name) && schema.properties?.[name])) return true;
  return Array.isArray(schema.anyOf) && schema.anyOf.every(builtOnProblem);
}

const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });
// 'link' routes carry a signed token in the query string instead of a bearer key.
const SECURITY: Record<Route['auth'], Json[]> = {
  none: [],
  admin: [{ adminKey: [] }],
  client: [{ apiKey: [] }],
  link: [],
  webhook: [],
  console: [{ consoleSession: [] }],
};
/** Routes that refuse a request without an Idempotency-Key (`idempotencyKey(event, true)`). */
const IDEMPOTENCY_REQUIRED = ['POST /v1/accounts/{accountId}/top-ups', 'POST /v1/accounts/{accountId}/debits', 'POST /v1/debits'];
const IDEMPOTENCY_OPTIONAL = ['POST /v1/queries', 'POST /v1/holds'];
/**
 * Error answers of link routes that only ever come as an HTML page: the code answers them with a
 * page and no problem+json can reach that status there (GET /resume: nothing left to resume).
 */
const HTML_ONLY_ERRORS: Record<string, string[]> = { 'GET /resume': ['409'] };

describe('docs/openapi.json', () => {
  it('is what `npm run openapi` generates from the code (run it and commit the file when this fails)', () => {
    expect(committed).toBe(openApiText());
  });

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
    // A console form answers with a redirect (303, Post/Redirect/Get) rather than a page.
    expect(responses.some(([status]) => (route.auth === 'console' ? /^(2\d\d|303)$/ : /^2\d\d$/).test(status))).toBe(true);
    const isProblem = (response: Json) => Object.keys(response.content ?? {}).join() === 'application/problem+json';
    // Pages opened from a link may also answer an error as HTML for the browser, but always offer problem+json too.
    const isProblemOrPage = (response: Json) => {
      const types = Object.keys(response.content ?? {}).sort();
      return types.join() === 'application/problem+json' || (route.auth === 'link' && types.join() === 'application/problem+json,text/html');
    };
    // Every error answer is problem+json (RFC 9457) with a schema built on Problem.
    for (const [status, response] of responses.filter(([s]) => /^[45]\d\d$/.test(s))) {
      // The console's answers are all pages for people (its 5xx come from the shared handler, as problem+json).
      if (route.auth === 'console' && /^4/.test(status)) {
        expect(Object.keys(response.content ?? {}), `${status} is an HTML page`).toEqual(['text/html']);
        continue;
      }
      if (HTML_ONLY_ERRORS[routeKey(route)]?.includes(status)) {
        expect(route.auth, `${status} is a page of a link route`).toBe('link');
        expect(Object.keys(response.content ?? {}), `${status} is an HTML page`).toEqual(['text/html']);
        expect(response.content['text/html'].schema.type).toBe('string');
        continue;
      }
      expect(isProblemOrPage(response), `${status} is problem+json`).toBe(true);
      expect(builtOnProblem(response.content['application/problem+json'].schema), `${status} schema`).toBe(true);
    }
    // Routes that take a key, a signed link or a signature can always be refused with a 4xx; the keyless health check cannot.
    if (route.auth === 'console') {
      // A console page without a session redirects to the sign-in form; the sign-in refuses a wrong key (401); forms refuse a wrong CSRF token (403).
      const refusal =
        route.path === '/console/sign-in' && route.method === 'GET'
          ? undefined
          : route.path === '/console/sign-in'
            ? '401'
            : route.method === 'POST'
              ? '403'
              : '303';
      if (refusal) expect(responses.map(([status]) => status)).toContain(refusal);
    } else if (route.auth !== 'none') {
      expect(responses.some(([status, response]) => /^4\d\d$/.test(status) && isProblem(response))).toBe(true);
      // A link is never asked for a bearer, so never 401: a bad signature is 403, an expired link 410.
      // A webhook is refused for its signature, with a 400.
      const refusals = route.auth === 'link' ? ['403', '410'] : route.auth === 'webhook' ? ['400'] : ['401', '403'];
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
      // 200 for pages, 201 for a page confirming what a form post created.
      const successes = Object.entries<Json>(op.operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect(successes.map(([status]) => status)).toEqual([route.method === 'POST' && op.operation.responses['201'] ? '201' : '200']);
      for (const [, response] of successes) {
        const ok = deref(response);
        expect(Object.keys(ok.content)).toEqual(['text/html']);
        expect(ok.content['text/html'].schema.type).toBe('string');
      }
    },
  );

  it.each(['POST /v1/alerts/unsubscribe', 'POST /v1/alerts/digest/unsubscribe'])('%s: documents the one-click unsubscribe body of RFC 8058', (key) => {
    const op = documented.get(key);
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
      'PlanChangeRequest',
      'ReminderRequest',
      'CopyPutRequest',
      'CopyRestoreRequest',
      'CopyVariantRequest',
      'CopyExperimentSwitch',
      'CopyPreviewRequest',
      'DigestRunRequest',
    ]) {
      expect(deref(schema(name)).additionalProperties, name).toBe(false);
    }
    expect(deref(deref(schema('QueryRequest')).properties.operation).enum).toEqual(Object.keys(pricing.operations));
    expect(deref(deref(schema('CreateAccountRequest')).properties.plan).enum).toEqual(pricing.plans.map((plan) => plan.id));
    expect(deref(schema('CreateAccountRequest')).properties.plan.default).toBe(pricing.defaultPlan);
    expect(deref(deref(schema('PlanChangeRequest')).properties.plan).enum).toEqual(pricing.plans.map((plan) => plan.id));
    // PATCH takes any of its settings, but at least one (the zod schema refuses an empty body).
    expect(deref(schema('PlanChangeRequest')).required ?? []).toEqual([]);
    expect(deref(schema('PlanChangeRequest')).minProperties).toBe(1);
    expect(Object.keys(deref(schema('PlanChangeRequest')).properties).sort()).toEqual(['autoResume', 'locale', 'plan', 'shards']);
    expect(deref(schema('Locale')).enum).toEqual([...LOCALES]);
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

  it('documents the reminder delays the code accepts', () => {
    const delay = deref(schema('ReminderDelay'));
    const pattern = new RegExp(delay.pattern, 'u');
    for (const after of ['PT1H', 'PT4H', 'P1D', 'P1W', 'P2DT12H', 'PT90M', 'P30D', 'P1W2D', 'PT0H', 'P999W']) {
      expect(pattern.test(after), after).toBe(true);
      expect(durationMs(after), after).toBeDefined();
    }
    for (const after of ['', 'P', 'PT', 'P1DT', 'P1M', 'P1Y', 'PT1S', 'P1.5D', 'p1d', 'P1DT1H1S', 'P1000W', 'P1D ', '1D', 'P-1D']) {
      expect(pattern.test(after), after).toBe(false);
      expect(durationMs(after), after).toBeUndefined();
    }
    // 1 hour to 30 days, as the description says.
    expect([MIN_DELAY_MS, MAX_DELAY_MS]).toEqual([durationMs('PT1H'), durationMs('P30D')]);
    expect(delay.description).toContain('`PT1H`');
    expect(delay.description).toContain('`P30D`');
    for (const key of ['POST /v1/reminders', 'POST /remind']) {
      const body = documented.get(key)?.operation.requestBody;
      const [media] = Object.values<Json>(body.content);
      expect(deref(media.schema).properties.after, key).toEqual(schema('ReminderDelay'));
      expect(deref(media.schema).required, key).toEqual(['after']);
    }
    expect(Object.keys(documented.get('POST /remind')?.operation.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
  });
});

/**
 * What a client generated from the document (openapi-typescript and the like) needs in order to be
 * typed where it matters. No such generator is a dependency, so these assert on the document's shape.
 */
describe('docs/openapi.json gives a typed client what it needs', () => {
  /** The routes whose answer can be the insufficient-credits 402 (a refused debit or query). */
  const METERED = ['POST /v1/accounts/{accountId}/debits', 'POST /v1/debits', 'POST /v1/queries', 'POST /v1/queries/{queryId}/resume', 'POST /v1/holds'];
  const problemSchema = (response: Json) => deref(response).content?.['application/problem+json']?.schema;

  it('declares the 402 of every metered operation with its own schema, told apart from every other problem by status', () => {
    expect(operations.filter((op) => op.operation.responses['402']).map((op) => op.key)).toEqual(METERED);
    for (const key of METERED) expect(problemSchema(documented.get(key)?.operation.responses['402']), key).toEqual(schema('InsufficientCredits'));
    const insufficient = deref(schema('InsufficientCredits'));
    // Whole, not an allOf over the generic Problem (whose `status` is any 4xx/5xx), with constants to narrow on.
    expect(insufficient.allOf).toBeUndefined();
    expect(insufficient.required).toEqual(expect.arrayContaining(['type', 'status', 'error', 'balance', 'actions']));
    expect(insufficient.properties.status.const).toBe(402);
    expect(insufficient.properties.type.const).toBe('https://tollgate.dev/problems/insufficient-credits');
    // No other answer can be read as the 402.
    for (const op of operations) {
      for (const [status, response] of Object.entries<Json>(op.operation.responses)) {
        if (status === '402') continue;
        expect(problemSchema(response), `${op.key} ${status}`).not.toEqual(schema('InsufficientCredits'));
      }
    }
  });

  it('types `operation` in requests and in the price list as the price book’s operation names', () => {
    const names = Object.keys(pricing.operations);
    const operationName = deref(schema('OperationName'));
    expect(operationName.enum).toEqual(names);
    expect(operationName.description).toContain('npm run openapi');
    const requestSchemas = operations.flatMap((op) => Object.values<Json>(op.operation.requestBody?.content ?? {}).map((media) => deref(media.schema)));
    // A hold names work priced by its settle, not by the price book: any well-formed name, as the code accepts.
    const withOperation = requestSchemas.filter((body) => body.properties?.operation && body !== deref(schema('HoldRequest')));
    expect(withOperation.length).toBe(3); // both debits and the query
    for (const body of withOperation) expect(deref(body.properties.operation).enum).toEqual(names);
    expect(deref(deref(schema('Prices')).properties.operations.items.properties.operation).enum).toEqual(names);
  });

  it('gives every action of the 402 a schema of its own kind, and the body remind_later sends', () => {
    const variants: Json[] = deref(schema('RecoveryAction')).oneOf;
    const byId = Object.fromEntries(variants.map((variant) => [variant.properties.id.const, variant]));
    expect(Object.keys(byId).sort()).toEqual(['change_plan', 'remind_later', 'resume', 'top_up', 'view_usage']);
    const remind = byId.remind_later;
    expect(remind.required).toContain('body');
    expect(remind.properties.method.const).toBe('POST');
    expect(remind.properties.body).toMatchObject({ type: 'object', required: ['after'], properties: { after: schema('ReminderDelay') } });
    // The body is what POST /v1/reminders takes.
    expect(Object.keys(remind.properties.body.properties)).toEqual(Object.keys(deref(schema('ReminderRequest')).properties));
    expect(byId.top_up.properties.options.items).toEqual(schema('TopUpOption'));
    expect(byId.change_plan.properties.options.items).toEqual(schema('PlanOption'));
    for (const id of ['view_usage', 'resume', 'top_up', 'change_plan']) expect(byId[id].properties.body, id).toBeUndefined();
  });

  it('has no object schema that says nothing of what it holds (a generator makes it `Record<string, never>`)', () => {
    const empty: string[] = [];
    walk(doc, (node, at) => {
      if (node.type === 'object' && !node.properties && node.additionalProperties === undefined && !node.oneOf && !node.anyOf && !node.allOf) empty.push(at);
      if (node.type === 'object' && node.properties && Object.keys(node.properties).length === 0) empty.push(at);
    });
    expect(empty).toEqual([]);
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
  const checkoutLinks = { pack: () => 'https://api.example.com/checkout?token=…', plan: () => 'https://api.example.com/checkout?token=…' };
  const recovery = (query?: { id: string; resumableUntil: string }, usagePageUrl?: string, socialProof?: SocialProof) =>
    problemBody(
      insufficientCreditsProblem({
        balance: balanceOf({ balance: 3 }, now),
        required: 10,
        operation: 'report',
        query,
        usage,
        pricing,
        baseUrl: 'https://api.example.com',
        usagePageUrl,
        socialProof,
        // As the API answers: every option a signed checkout link (elided like the usage link's token).
        buyLinks: checkoutLinks,
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

  const reminder = {
    id: 'rem_AAAAAAAAAAAAAAAA',
    accountId: account.id,
    dueAt: '2025-06-02T12:00:00.000Z',
    status: 'scheduled' as const,
    baselineSeq: 3,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAtEpoch: 1_751_457_600,
  };

  it.each([
    ['InsufficientCredits (parked query)', 'InsufficientCredits', recovery({ id: 'q_AAAAAAAAAAAAAAAA', resumableUntil: '2025-06-03T12:00:00.000Z' })],
    ['InsufficientCredits (admin debit)', 'InsufficientCredits', recovery()],
    [
      'InsufficientCredits (with social proof)',
      'InsufficientCredits',
      recovery(undefined, undefined, { plan: 'free', percent: 73, sample: 41, recoveryHours: 48, windowDays: 30 }),
    ],
    [
      'InsufficientCredits (with the usage page link)',
      'InsufficientCredits',
      recovery({ id: 'q_AAAAAAAAAAAAAAAA', resumableUntil: '2025-06-03T12:00:00.000Z' }, 'https://api.example.com/usage?token=abc.def'),
    ],
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
    ['Account (with a locale)', 'Account', accountView({ ...account, locale: 'de' }, now)],
    ['AlertSettings (defaults)', 'AlertSettings', alertsView(account)],
    [
      'AlertSettings (stored)',
      'AlertSettings',
      alertsView({ ...account, baseline: 100, alerts: { thresholds: [30, 10], email: 'ops@test.example', enabled: false } }),
    ],
    [
      'AlertSettings (with a digest)',
      'AlertSettings',
      alertsView({ ...account, baseline: 100, alerts: { thresholds: [50], enabled: true, digest: 'weekly' } }),
    ],
    ['AlertSettingsPatch', 'AlertSettingsPatch', alertSettingsPatch.parse({ thresholds: [10, 40], email: 'ops@test.example', enabled: true })],
    ['AlertSettingsPatch (digest)', 'AlertSettingsPatch', alertSettingsPatch.parse({ digest: 'monthly' })],
    [
      'RecoveryReport (by variant, with p-values)',
      'RecoveryReport',
      buildReport({
        from: '2025-05-01',
        to: '2025-05-31',
        groupBy: 'variant',
        now,
        counters: [
          { dimension: 'all', day: '2025-05-10', value: 'all', counts: { wall: 30, warned: 20, recovered: 12, paid: 12, rm_90: 12, rev_eur: 12_000 } },
          { dimension: 'variant', day: '2025-05-10', value: 'b', counts: { wall: 10, warned: 7, recovered: 6, paid: 6, rm_60: 6, rev_eur: 6_000 } },
        ],
        walls: [],
      }),
    ],
    ['Reminder', 'Reminder', reminderView(reminder)],
    ['Reminder (firing)', 'Reminder', reminderView({ ...reminder, status: 'firing' })],
    [
      'LedgerEntry',
      'LedgerEntry',
      ledgerEntryView({ id: 'q_a', type: 'debit', credits: -10, operation: 'report', queryId: 'q_a', at: now.toISOString(), seq: 2, balanceAfter: 90 }),
    ],
    ['CopyCatalogue (defaults)', 'CopyCatalogue', copyView('de', undefined)],
    [
      'CopyCatalogue (restored overrides)',
      'CopyCatalogue',
      copyView('en', {
        locale: 'en',
        version: 3,
        messages: { 'insufficientCredits.title': 'Out of credits' },
        by: 'ops',
        at: now.toISOString(),
        action: 'restore',
        restoredFrom: 1,
      }),
    ],
    ['CopyExperiment (none)', 'CopyExperiment', experimentView('fr', undefined)],
    [
      'CopyExperiment (running)',
      'CopyExperiment',
      experimentView('en', {
        id: 'exp_AAAAAAAAAAAAAAAA',
        enabled: true,
        variants: { short: { messages: { 'insufficientCredits.title': 'Out of credits' }, weight: 30 } },
        by: 'ops',
        at: now.toISOString(),
        revision: 2,
      }),
    ],
    // As POST /v1/copy/preview answers: the surface, locale and variant, then the rendered preview.
    ...(['402', 'threshold-email', 'usage-page', 'link-pages'] as const).map(
      (surface) =>
        [
          `CopyPreview (${surface})`,
          'CopyPreview',
          { surface, locale: 'de', variant: 'control', ...previewSurface(surface, copyFor('de'), pricing, now) },
        ] as const,
    ),
  ] as const)('%s', (_name, schemaName, body) => {
    expect(conformance(schema(schemaName), JSON.parse(JSON.stringify(body)))).toEqual([]);
  });

  it('the 402 example is the recovery answer of the current code', () => {
    const example = deref({ $ref: '#/components/responses/InsufficientCredits' }).content['application/problem+json'].examples.parkedQuery.value;
    expect(conformance(schema('InsufficientCredits'), example)).toEqual([]);
    const action = (body: Json, id: string) => body.actions.find((a: Json) => a.id === id);
    const fresh = recovery({ id: example.query.id, resumableUntil: example.query.expiresAt }, 'https://api.example.com/usage?token=abc.def') as Json;
    expect(example.title).toBe(fresh.title);
    expect(example.actions.map((a: Json) => a.id)).toEqual(fresh.actions.map((a: Json) => a.id));
    expect(action(example, 'top_up').options).toEqual(action(fresh, 'top_up').options);
    expect(Object.keys(action(example, 'view_usage')).sort()).toEqual(Object.keys(action(fresh, 'view_usage')).sort());
  });

  it('documents the statuses of the HTML pages the link routes answer', () => {
    const htmlStatuses = (key: string) =>
      Object.entries<Json>(documented.get(key)?.operation.responses ?? {})
        .filter(([, response]) => deref(response).content?.['text/html'])
        .map(([status]) => Number(status))
        .sort();
    const statuses = (results: { statusCode: number }[]) => [...new Set(results.map((r) => r.statusCode))].sort();
    const event = { rawPath: '/resume', rawQueryString: 'token=abc.def' } as HttpEvent;
    const later = '2025-06-03T12:00:00.000Z';
    const txn = (over: Partial<TxnItem>): TxnItem => ({
      id: 'q_AAAAAAAAAAAAAAAA',
      kind: 'query',
      accountId: account.id,
      status: 'parked',
      requestHash: 'h',
      credits: 10,
      operation: 'report',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      resumableUntil: later,
      expiresAtEpoch: 1_751_457_600,
      ...over,
    });
    const page = (t: TxnItem, balance: number) => resumePage(event, t, { ...account, balance }, 'https://api.example.com/usage?token=abc.def', now, english);
    const shown = [
      page(txn({}), 3),
      page(txn({}), 30),
      page(txn({ status: 'completed' }), 3),
      page(txn({ status: 'running' }), 3),
      page(txn({ status: 'failed' }), 3),
      page(txn({ resumableUntil: now.toISOString() }), 30),
    ];
    expect(statuses(shown)).toEqual(htmlStatuses('GET /resume'));
    const charged = txn({ status: 'running' });
    const usage = 'https://api.example.com/usage?token=abc.def';
    const resumed = [
      page(txn({}), 3),
      resumedPage(charged, json(200, {}, { 'Credits-Remaining': '20' }), usage, english),
      resumedPage(charged, html(500, 'failed'), usage, english),
    ];
    expect(statuses(resumed)).toEqual(htmlStatuses('POST /resume'));
    expect(statuses([remindPage({ ...event, rawPath: '/remind' }, ['P1D'], english)])).toEqual(htmlStatuses('GET /remind'));
    expect(statuses([remindConfirmationPage(reminder, usage, english)])).toEqual(htmlStatuses('POST /remind'));
    expect(statuses([noCheckoutPage(account, 'https://api.example.com/usage?token=abc.def', english)])).toEqual(htmlStatuses('GET /checkout'));
    const result = { account, purchase: '100 credits', apiBaseUrl: 'https://api.example.com', usageUrl: 'u', refreshUrl: 'r', copy: english };
    const results = [false, true].flatMap((confirmed) =>
      [undefined, txn({}), txn({ status: 'completed' }), txn({ status: 'failed' })].map((query) => checkoutResultPage({ ...result, confirmed, query })),
    );
    expect(statuses(results)).toEqual(htmlStatuses('GET /checkout/done'));
  });
});

describe('the document’s modules stay out of the Lambda bundles', () => {
  const root = path.resolve(import.meta.dirname, '..');
  /** What a bundler follows from a file: relative imports and re-exports that are not type-only. */
  const runtimeImports = (file: string): string[] =>
    [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;'"]*?\s+from\s+)?'(\.[^']+)'/gms)].map((m) =>
      path.resolve(path.dirname(file), m[1] ?? ''),
    );
  const reachable = (entry: string): Set<string> => {
    const seen = new Set<string>();
    const pending = [entry];
    for (let file = pending.pop(); file; file = pending.pop()) {
      if (seen.has(file) || !file.endsWith('.ts')) continue;
      seen.add(file);
      pending.push(...runtimeImports(file));
    }
    return seen;
  };
  const entries = readdirSync(path.join(root, 'functions'), { recursive: true, encoding: 'utf8' })
    .filter((file) => /(^|\/|-)handler\.ts$/.test(file) || file === 'metering/meter.ts')
    .map((file) => path.join(root, 'functions', file));

  it('finds every handler and the meter middleware', () => {
    expect(entries.length).toBeGreaterThanOrEqual(12);
    // The walk sees through to the code it should: the metering handler reaches the balance store (the 402 and the price
    // book are loaded lazily, on the first refusal, and so are not followed).
    expect([...reachable(path.join(root, 'functions/metering/handler.ts'))]).toContain(path.join(root, 'functions/metering/balance-store.ts'));
  });

  it.each(entries.map((entry) => [path.relative(root, entry), entry]))('%s imports no openapi.ts (types only) and not the generator', (_name, entry) => {
    const docModules = [...reachable(entry)].filter((file) => file.endsWith('/openapi.ts'));
    expect(docModules.map((file) => path.relative(root, file))).toEqual([]);
  });
});

describe('bin/openapi.ts (the generator)', () => {
  const Ping = z.object({ accountId: z.string(), at: z.iso.datetime() });

  it('writes a feature’s webhooks in the top-level `webhooks` section (OpenAPI 3.1), empty when none', () => {
    // The document's own (functions/webhooks/openapi.ts) are checked in test/webhooks/documented.test.ts.
    expect(openApiDocument(features.map(({ webhooks: _webhooks, ...feature }) => feature)).webhooks).toEqual({});
    const withHook = openApiDocument([
      ...features,
      {
        responses: { Ping },
        webhooks: [
          {
            name: 'ping',
            method: 'POST',
            operation: {
              operationId: 'ping',
              summary: 'A ping Tollgate sends',
              requestBody: { required: true, content: { 'application/json': { schema: Ping } } },
              responses: { '204': { description: 'Received.' } },
            },
          },
        ],
      },
    ]) as Json;
    expect(withHook.webhooks.ping.post).toMatchObject({
      operationId: 'ping',
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Ping' } } } },
    });
    expect(withHook.components.schemas.Ping.required).toEqual(['accountId', 'at']);
  });

  it('refuses an operation with a schema no feature names, one the route table does not have, and a route without an entry', () => {
    const operation = { method: 'GET' as const, path: '/health', operationId: 'x', summary: 'x', responses: {} };
    const healthless = features.map((feature) => ({ ...feature, operations: feature.operations?.filter((op) => op.path !== '/health') }));
    expect(() =>
      openApiDocument([...healthless, { operations: [{ ...operation, responses: { '200': { content: { 'application/json': { schema: Ping } } } } }] }]),
    ).toThrow(/not named/);
    expect(() => openApiDocument([...features, { operations: [{ ...operation, path: '/nowhere' }] }])).toThrow(/not in functions\/routes.ts: GET \/nowhere/);
    expect(() => openApiDocument(healthless)).toThrow(/GET \/health .* has no entry/);
  });
});

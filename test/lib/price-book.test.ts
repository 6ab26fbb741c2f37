import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { PriceBook } from '../../functions/pricing/price-book.ts';
import { type Route, routes } from '../../functions/routes.ts';
import { MeteredFunction } from '../../lib/metered-function.ts';
import { TollgateFunction } from '../../lib/tollgate-function.ts';
import { TollgateStack, type TollgateStackProps } from '../../lib/tollgate-stack.ts';
import { pricing } from '../support/prices.ts';
import { cdkJsonContext, resourcesOf } from './synth.ts';

/** A platform team's own price book: nothing of the demo's. */
const teamBook: PriceBook = {
  operations: { thumbnail: 2 },
  topUps: [{ id: 'small', credits: 50, price: { amount: '4.50', currency: 'EUR' } }],
  plans: [{ id: 'team', name: 'Team', monthlyCredits: 0, rollover: false, price: { amount: '0', currency: 'EUR' }, stripePriceId: 'price_123' }],
  defaultPlan: 'team',
};

/** A library user's app: cdk.json's feature flags, none of this repository's own `tollgate:*` keys. */
const libraryContext = Object.fromEntries(Object.entries(cdkJsonContext).filter(([key]) => !key.startsWith('tollgate:')));

function stackWith(props: TollgateStackProps, context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...libraryContext, ...context, 'aws:cdk:bundling-stacks': [] } });
  return new TollgateStack(app, 'Tollgate', { env: { account: '123456789012', region: 'eu-west-1' }, ...props });
}

/** On AWS every GET route also has a HEAD twin (lib/tollgate-http-api.ts). */
const withHeadTwins = (list: readonly Route[]) => list.flatMap((route) => (route.method === 'GET' ? [route, route] : [route]));
const routeKeys = (stack: TollgateStack) => Object.keys(resourcesOf(Template.fromStack(stack), 'AWS::ApiGatewayV2::Route'));

describe('the price book given to the stack', () => {
  it('is required: a stack without one stops the synth saying how to give it', () => {
    expect(() => stackWith({})).toThrow(/priceBook: missing\. Give TollgateStack a priceBook prop .* or set the tollgate:priceBook context key/);
  });

  it('comes from the priceBook prop, validated, and reaches every metered function through the resources', () => {
    const stack = stackWith({ priceBook: teamBook });
    expect(stack.priceBook).toEqual(teamBook);
    expect(stack.resources.priceBook).toEqual(teamBook);
  });

  it('comes from a JSON file named by the tollgate:priceBook context key', () => {
    const stack = stackWith({}, { 'tollgate:priceBook': 'tollgate.prices.json' });
    expect(stack.priceBook).toEqual(pricing);
  });

  it('stops the synth naming the source and every bad field', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-prices-'));
    const file = path.join(dir, 'prices.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...teamBook,
        topUps: [teamBook.topUps[0], { id: 'small', credits: 0, price: { amount: '4,50', currency: 'euro' } }],
        defaultPlan: 'gold',
      }),
    );
    const synth = () => stackWith({}, { 'tollgate:priceBook': file });
    expect(synth).toThrow(`Invalid price book (tollgate:priceBook: ${file})`);
    expect(synth).toThrow('priceBook.topUps[1].credits: must be a positive integer');
    expect(synth).toThrow('priceBook.topUps[1].price.amount: must be a decimal string such as "5.00"');
    expect(synth).toThrow('priceBook.topUps[1].price.currency: must be an ISO 4217 currency code such as "USD"');
    expect(synth).toThrow('priceBook.topUps[1].id: duplicate id "small"');
    expect(synth).toThrow('priceBook.defaultPlan: unknown plan "gold" (plans: team)');
    expect(() => stackWith({ priceBook: { ...teamBook, plans: [] } })).toThrow(
      'Invalid price book (TollgateStack priceBook prop):\n  - priceBook.plans: must hold at least one plan',
    );
    expect(() => stackWith({ priceBook: path.join(dir, 'missing.json') })).toThrow(/priceBook: cannot read .*missing\.json \(ENOENT\)/);
  });
});

describe('the price book given to a function', () => {
  it('is validated at synth too, since the function will not validate what is baked into it', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Functions');
    // A book from plain JavaScript, or cast: a negative price would turn a debit into a credit.
    const negative = { ...teamBook, operations: { thumbnail: -5 } } as PriceBook;
    expect(
      () => new TollgateFunction(stack, 'Thumbnails', { entry: 'test/lib/fixtures/price-book-handler.ts', description: 'Prices.', priceBook: negative }),
    ).toThrow('Invalid price book (Thumbnails: priceBook):\n  - priceBook.operations.thumbnail: must be a positive integer');
  });
});

describe('the demo service', () => {
  it('is off for library users: no queries function and none of its routes', () => {
    const stack = stackWith({ priceBook: teamBook });
    expect(stack.demoService).toBe(false);
    expect(stack.httpFunctions.queries).toBeUndefined();
    expect(stack.node.findAll().some((construct) => construct instanceof MeteredFunction)).toBe(false);
    const served = routes.filter((route) => route.function !== 'queries');
    expect(routeKeys(stack)).toHaveLength(withHeadTwins(served).length + 1); // + $default
  });

  it('is on with demoService, serving every route of the table', () => {
    const stack = stackWith({ priceBook: pricing, demoService: true });
    expect(stack.httpFunctions.queries).toBeInstanceOf(MeteredFunction);
    expect(routeKeys(stack)).toHaveLength(withHeadTwins(routes).length + 1);
  });

  it('needs its operations priced', () => {
    expect(() => stackWith({ priceBook: teamBook, demoService: true })).toThrow(
      /priceBook\.operations\.search: the example service sells it; give it a price\n {2}- priceBook\.operations\.report/,
    );
  });
});

describe('bundling', () => {
  it('bakes the validated price book into the bundle, not the environment (4 KB limit), where the function reads it without validating it again', {
    timeout: 60_000,
  }, async () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'tollgate-bundle-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundle');
    const fn = new TollgateFunction(stack, 'Prices', {
      entry: 'test/lib/fixtures/price-book-handler.ts',
      description: 'Echoes its price book.',
      priceBook: teamBook,
    });
    const assembly = app.synth();
    const variables = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables;
    expect(JSON.stringify(variables)).not.toContain('thumbnail');
    const assetDir = readdirSync(assembly.directory).find(
      (name) => name.startsWith('asset.') && readdirSync(path.join(assembly.directory, name)).includes('index.mjs'),
    );
    expect(assetDir).toBeDefined();
    const asset = path.join(assembly.directory, assetDir ?? '');
    const code = readdirSync(asset, { recursive: true })
      .filter((file) => String(file).endsWith('.mjs'))
      .map((file) => readFileSync(path.join(asset, String(file)), 'utf8'))
      .join('\n');
    // The stack validated it at synth; the function only parses it: no schema in the bundle, no read of the environment.
    expect(code).not.toContain('must be a list of top-up packs');
    expect(code).not.toContain('process.env.TOLLGATE_PRICE_BOOK');
    const saved = process.env.TOLLGATE_PRICE_BOOK;
    delete process.env.TOLLGATE_PRICE_BOOK;
    try {
      const bundle = (await import(pathToFileURL(path.join(asset, 'index.mjs')).href)) as { handler: () => Promise<PriceBook> };
      expect(await bundle.handler()).toEqual(teamBook);
    } finally {
      process.env.TOLLGATE_PRICE_BOOK = saved;
    }
  });
});

import type { IncomingMessage } from 'node:http';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRouteFunction, type HttpFunctionName, routeKey, routes } from '../../functions/routes.ts';
import type { TollgateStack } from '../../lib/tollgate-stack.ts';
import { toEvent } from '../../local/gateway.ts';
import { logicalIdOf, resourcesOf, synthTollgate } from './synth.ts';

let stack: TollgateStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthTollgate());
});

/** Route key → the function its integration invokes, read back from the synthesized template. */
function synthesizedRoutes(): Map<string, HttpFunctionName> {
  const functionByLogicalId = new Map(Object.entries(stack.httpFunctions).map(([name, fn]) => [logicalIdOf(stack, fn), name as HttpFunctionName]));
  const integrations = resourcesOf(template, 'AWS::ApiGatewayV2::Integration');
  const result = new Map<string, HttpFunctionName>();
  for (const route of Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'))) {
    const target = route.Properties.Target as { 'Fn::Join': [string, unknown[]] };
    const integrationId = (target['Fn::Join'][1][1] as { Ref: string }).Ref;
    const uri = integrations[integrationId]?.Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] };
    const fn = functionByLogicalId.get(uri['Fn::GetAtt'][0]);
    if (!fn) throw new Error(`Route ${route.Properties.RouteKey} targets no Tollgate function`);
    result.set(route.Properties.RouteKey, fn);
  }
  return result;
}

describe('route table ↔ synthesized HTTP API', () => {
  it('has exactly the route table’s routes, a HEAD route per GET route, and $default', () => {
    const heads = routes.filter((route) => route.method === 'GET').map((route) => `HEAD ${route.path}`);
    const expected = [...routes.map(routeKey), ...heads, '$default'].sort();
    expect([...synthesizedRoutes().keys()].sort()).toEqual(expected);
  });

  it.each(routes.filter((route) => route.method === 'GET').map((route) => [route.path, route.function]))(
    'HEAD %s invokes the %s function, like its GET',
    (path, fn) => {
      expect(synthesizedRoutes().get(`HEAD ${path}`)).toBe(fn);
    },
  );

  it.each(routes.map((route) => [routeKey(route), route.function]))('%s invokes the %s function', (key, fn) => {
    expect(synthesizedRoutes().get(key)).toBe(fn);
  });

  it('sends unmatched requests to the default route function', () => {
    expect(synthesizedRoutes().get('$default')).toBe(defaultRouteFunction);
  });

  it('uses payload format 2.0, which the handlers and the local gateway speak', () => {
    for (const integration of Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Integration'))) {
      expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
  });
});

describe('route table ↔ local gateway', () => {
  const request = (method: string, url: string) =>
    ({ method, url, headers: { host: 'localhost' }, httpVersion: '1.1', socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;
  const samplePath = (path: string) => path.replace(/\{(\w+)\}/g, (_match, name: string) => `sample-${name}`);

  it.each(routes.map((route) => [routeKey(route), route]))('%s reaches the same function locally', (key, route) => {
    const { event, fn } = toEvent(request(route.method, samplePath(route.path)), Buffer.alloc(0), 'localhost');
    expect(event.routeKey).toBe(key);
    expect(fn).toBe(route.function);
  });

  it('answers anything else from the default route function, as API Gateway does', () => {
    const { event, fn } = toEvent(request('GET', '/no/such/route'), Buffer.alloc(0), 'localhost');
    expect(event.routeKey).toBe('$default');
    expect(fn).toBe(defaultRouteFunction);
  });
});

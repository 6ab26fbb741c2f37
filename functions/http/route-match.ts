import { type Route, routeKey, routes } from '../routes.ts';

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

const compiled: CompiledRoute[] = routes.map((route) => {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param?.[1]) return segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
      names.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
});

export interface RouteMatch {
  /** As API Gateway names it: `HEAD /path` when a HEAD request takes a GET route. */
  key: string;
  route: Route;
  pathParameters: Record<string, string>;
}

/**
 * The route a request takes, as API Gateway picks it. A HEAD request takes the GET route of its
 * path (the stack gives every GET route a HEAD twin on the same function). Throws `URIError` on a
 * malformed percent-encoding in a path parameter.
 */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  for (const candidate of compiled) {
    if (candidate.route.method !== wanted) continue;
    const found = candidate.pattern.exec(path);
    if (!found) continue;
    const pathParameters = Object.fromEntries(candidate.names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? '')]));
    return { key: method === 'HEAD' ? `HEAD ${candidate.route.path}` : routeKey(candidate.route), route: candidate.route, pathParameters };
  }
  return undefined;
}

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The methods the route table serves at this path (HEAD wherever GET is), for a 405's `Allow`; empty for an unknown path. */
export function allowedMethods(path: string): string[] {
  const methods = new Set<string>();
  for (const { route, pattern } of compiled) {
    if (!pattern.test(path)) continue;
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
  }
  return ORDER.filter((method) => methods.has(method));
}

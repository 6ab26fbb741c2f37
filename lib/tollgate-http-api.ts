import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  type HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type HttpFunctionName, type Route, routeKey } from '../functions/routes.ts';
import type { RemovalPolicyName } from './config.ts';

export interface TollgateHttpApiProps {
  /** The route table (`functions/routes.ts`): one API Gateway route per entry. */
  readonly routes: readonly Route[];
  /** The function behind each name the given routes use. */
  readonly functions: Partial<Record<HttpFunctionName, IFunction>>;
  /** The function serving the `$default` route (requests that match no route). */
  readonly defaultRouteFunction: HttpFunctionName;
  /** Stage-wide throttling, applied to every route including `$default`. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Browser origins allowed by CORS. @default [] - no CORS configuration */
  readonly corsAllowedOrigins?: readonly string[];
  /** Access log retention in days. @default 30 */
  readonly accessLogRetentionDays?: number;
  /** @default 'retain' */
  readonly removalPolicy?: RemovalPolicyName;
}

/** A route added with `addMeteredRoute`: its route key (`POST /v1/thumbnails`) and the function behind it. */
export interface MeteredRoute {
  readonly key: string;
  readonly fn: IFunction;
}

/** HTTP API context variables written to the access log, one JSON object per request. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  method: '$context.httpMethod',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
};

/**
 * Tollgate's public API: an API Gateway HTTP API whose routes are generated from the route
 * table, with a `$default` route answering unknown paths (problem+json 404), stage throttling,
 * JSON access logs with a retention period, and CORS only when origins are configured.
 * Authentication happens in the handlers (admin key or hashed client API key).
 */
export class TollgateHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** The API Gateway route of each route-table entry (and the HEAD twin of each GET), by `routeKey()`. */
  readonly routes: ReadonlyMap<string, HttpRoute>;

  private readonly integrations = new Map<IFunction, HttpLambdaIntegration>();
  private readonly meteredRoutes: MeteredRoute[] = [];
  private readonly meteredRouteWatchers: ((route: MeteredRoute) => void)[] = [];

  constructor(scope: Construct, id: string, props: TollgateHttpApiProps) {
    super(scope, id);
    const integrationFor = (name: HttpFunctionName) => {
      const fn = props.functions[name];
      if (!fn) throw new Error(`TollgateHttpApi: no function "${name}" for its routes.`);
      return this.integrationFor(fn, `${name}Integration`);
    };

    const origins = props.corsAllowedOrigins ?? [];
    const methods = [...new Set(props.routes.map((route) => CorsHttpMethod[route.method]))];
    this.api = new HttpApi(this, 'Api', {
      description: 'Tollgate: metered API with credit balances, top-ups and usage.',
      createDefaultStage: false,
      defaultIntegration: integrationFor(props.defaultRouteFunction),
      corsPreflight:
        origins.length > 0
          ? {
              allowOrigins: [...origins],
              allowMethods: [...methods, CorsHttpMethod.OPTIONS],
              allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
              exposeHeaders: ['retry-after'],
              maxAge: Duration.hours(1),
            }
          : undefined,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: (props.accessLogRetentionDays ?? 30) as RetentionDays,
      removalPolicy: (props.removalPolicy ?? 'retain') === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const routes = new Map<string, HttpRoute>();
    // HTTP API routes are per method: every GET route gets a HEAD twin on the same function, which
    // answers it as GET without the body (functions/http/head.ts).
    const served = props.routes.flatMap((route) => (route.method === 'GET' ? [route, { ...route, method: 'HEAD' as const }] : [route]));
    for (const route of served) {
      const key = routeKey(route);
      if (routes.has(key)) throw new Error(`The route table lists ${key} twice.`);
      const httpRoute = new HttpRoute(this, key.replace(/[^A-Za-z0-9]/g, ''), {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: integrationFor(route.function),
      });
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          route.auth === 'none'
            ? 'Public by design (health check).'
            : route.auth === 'webhook'
              ? "Called by the payment provider, which sends no key: the handler verifies the provider's HMAC signature over the raw body (with a timestamp tolerance) before reading anything."
              : route.auth === 'console'
                ? "The operator console's pages: the handler checks the signed, expiring session cookie (got by signing in with the admin key, compared in constant time) and the CSRF token of every form before reading anything."
                : route.auth === 'link'
                  ? 'Opened from links in emails and 402 answers: the handler verifies the signed, expiring token (HMAC key from Secrets Manager) before reading anything.'
                  : `Authenticated in the handler (${route.auth === 'admin' ? 'admin key from Secrets Manager, constant-time compare' : 'hashed client API key checked in the same DynamoDB read or write as the work'}), which keeps the metered path to one DynamoDB round trip.`,
      });
      routes.set(key, httpRoute);
    }
    this.routes = routes;
    const defaultRoute = this.api.node.tryFindChild('DefaultRoute');
    if (defaultRoute) {
      Validations.of(defaultRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'The $default route only answers unknown paths (problem+json 404) and known paths with another method (405 with Allow); it reads no data.',
      });
    }
  }

  /** One integration per function (payload format 2.0), with one invoke permission for the whole API. */
  private integrationFor(fn: IFunction, id: string): HttpLambdaIntegration {
    let integration = this.integrations.get(fn);
    if (!integration) {
      integration = new HttpLambdaIntegration(id, fn, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0, scopePermissionToRoute: false });
      this.integrations.set(fn, integration);
    }
    return integration;
  }

  /**
   * Adds a route to a function metered with `meter()` (typically a `MeteredFunction`): a platform
   * team's own endpoint on the Tollgate API. Callers authenticate with their Tollgate API key,
   * which `meter()` checks before anything is charged. Paths must not collide with the route table.
   */
  addMeteredRoute(method: Route['method'], path: string, fn: IFunction): HttpRoute {
    const key = `${method} ${path}`;
    if (this.routes.has(key)) throw new Error(`${key} is already a Tollgate route.`);
    const route = new HttpRoute(this, `Metered${key.replace(/[^A-Za-z0-9]/g, '')}`, {
      httpApi: this.api,
      routeKey: HttpRouteKey.with(path, HttpMethod[method]),
      integration: this.integrationFor(fn, `${fn.node.id}Integration`),
    });
    Validations.of(route).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: "Authenticated by meter() in the handler: the caller's hashed Tollgate API key is checked in the debit's own DynamoDB condition.",
    });
    (this.routes as Map<string, HttpRoute>).set(key, route);
    const metered = { key, fn };
    this.meteredRoutes.push(metered);
    for (const watcher of this.meteredRouteWatchers) watcher(metered);
    return route;
  }

  /**
   * Calls `watcher` for every route added with {@link addMeteredRoute}, those added so far and every
   * later one: how `Monitoring` gives each metered route its alarms and dashboard widgets.
   */
  watchMeteredRoutes(watcher: (route: MeteredRoute) => void): void {
    this.meteredRouteWatchers.push(watcher);
    for (const route of this.meteredRoutes) watcher(route);
  }

  /** The API's base URL (the `$default` stage). */
  get url(): string {
    return this.stage.url;
  }
}

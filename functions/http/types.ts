import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };
/** A route's implementation: gets the API Gateway v2 event, returns a response or throws a TollgateError. */
export type RouteHandler = (event: HttpEvent) => Promise<HttpResult>;

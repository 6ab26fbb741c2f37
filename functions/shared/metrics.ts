import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';
import { BUSINESS_METRICS, type BusinessMetric } from './metrics-names.ts';

/** One Metrics per container; `POWERTOOLS_METRICS_DISABLED=true` silences it (local stack, tests). */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Tollgate',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'tollgate',
});

export function countMetric(metric: BusinessMetric, value = 1): void {
  metrics.addMetric(BUSINESS_METRICS[metric], MetricUnit.Count, value);
}

/**
 * Publishes what the invocation counted, once it has answered. Unlike Powertools' `logMetrics`,
 * it stays quiet on the many requests that count nothing (reads, refusals of bad input).
 */
export function publishMetrics(): middy.MiddlewareObj {
  const publish = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}

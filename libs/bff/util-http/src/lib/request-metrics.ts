import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

import { BFF_METRIC, METRICS_NAMESPACE } from '@imagegen/contracts';
import { emfFields, EmfMetric } from '@imagegen/shared/util-logging';

const isEventStream = (res: ServerResponse, headers: unknown): boolean =>
  /^text\/event-stream/i.test(
    String(
      res.getHeader('content-type') ??
        (headers && typeof headers === 'object'
          ? Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1]
          : ''),
    ),
  );

/**
 * The BFF's metrics, one EMF line per API answer through the logger (service=bff, the request's
 * `requestId` on it, as on its access log line): Requests, Latency (not for event streams, which
 * last as long as their job), RateLimited (429) and ServerErrors (5xx); and StreamsOpen, the job
 * streams this task holds, each time one opens or closes. CloudWatch Logs extracts them from the
 * container's log group (awslogs sends each line with PutLogEvents:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Generation_PutLogEvents.html).
 */
export function requestMetrics(logger: Logger, now: () => number = Date.now) {
  let streamsOpen = 0;
  // Metrics are written whatever LOG_LEVEL says (warn would otherwise drop them), unless logs are off.
  const out = logger.level === 'silent' ? logger : logger.child({}, { level: 'info' });
  const emit = (requestId: unknown, metrics: EmfMetric[]) =>
    out.info({ requestId, ...emfFields(METRICS_NAMESPACE, ['service'], metrics) }, 'metrics');
  return (req: Request, res: Response, next: NextFunction): void => {
    // The load balancer's health checks (every 15 s per task) are not traffic.
    if (req.originalUrl.split('?')[0] === '/api/health') return next();
    const started = now();
    const requestId = (req as Request & { id?: unknown }).id;
    let stream = false;
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: unknown[]) {
      const headers = args.find((a) => a !== null && typeof a === 'object');
      if (!stream && isEventStream(res, headers)) {
        stream = true;
        emit(requestId, [{ name: BFF_METRIC.streamsOpen, unit: 'Count', value: ++streamsOpen }]);
      }
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as Response['writeHead'];
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      const status = res.statusCode;
      const metrics: EmfMetric[] = [{ name: BFF_METRIC.requests, unit: 'Count', value: 1 }];
      if (stream) metrics.push({ name: BFF_METRIC.streamsOpen, unit: 'Count', value: --streamsOpen });
      else metrics.push({ name: BFF_METRIC.latency, unit: 'Milliseconds', value: now() - started });
      if (status === 429) metrics.push({ name: BFF_METRIC.rateLimited, unit: 'Count', value: 1 });
      if (status >= 500) metrics.push({ name: BFF_METRIC.serverErrors, unit: 'Count', value: 1 });
      emit(requestId, metrics);
    };
    res.on('finish', end);
    res.on('close', end);
    next();
  };
}

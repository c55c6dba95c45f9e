/**
 * One JSON log line (the shape createLogger writes, or an EMF metric document) as one readable line
 * for a terminal: `12:03:04.567 INFO  bff  GET /api/models 200 12ms  requestId=…`. Anything that is
 * not such a line comes back as it was. Used by `npm start` when its output is a terminal; piped or
 * redirected output stays JSON.
 */
export function prettyLogLine(line: string, color = true): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const time = clock(entry['time'] ?? entry['_aws']);
  const service = String(entry['service'] ?? '');
  const aws = entry['_aws'] as
    | { CloudWatchMetrics?: { Metrics?: { Name: string; Unit?: string }[]; Dimensions?: string[][] }[] }
    | undefined;
  if (aws?.CloudWatchMetrics) {
    const [directive] = aws.CloudWatchMetrics;
    const names = (directive?.Metrics ?? []).map((m) => m.Name);
    const dimensions = (directive?.Dimensions ?? []).flat().filter((d) => d !== 'service');
    const values = names.map((n) => `${n}=${format(entry[n])}${unitOf(directive?.Metrics, n)}`);
    const dims = [...new Set(dimensions)].map((d) => `${d}=${format(entry[d])}`);
    const id = entry['requestId'] ? [`requestId=${format(entry['requestId'])}`] : [];
    return [time, paint(35, 'METRIC'), paint(2, service), values.join(' '), ...dims, ...id]
      .filter(Boolean)
      .join(' ');
  }
  if (typeof entry['level'] !== 'string' && typeof entry['level'] !== 'number') return line;
  const level = String(entry['level']).toUpperCase().padEnd(5);
  const levelColor = /ERROR|FATAL/.test(level)
    ? 31
    : /WARN/.test(level)
      ? 33
      : /DEBUG|TRACE/.test(level)
        ? 2
        : 36;
  const rest: Record<string, unknown> = { ...entry };
  for (const key of [
    'time',
    'level',
    'service',
    'msg',
    'pid',
    'hostname',
    'req',
    'res',
    'responseTime',
    'err',
  ])
    delete rest[key];
  const req = entry['req'] as { method?: string; url?: string } | undefined;
  const res = entry['res'] as { statusCode?: number } | undefined;
  const http = req
    ? [
        req.method,
        req.url,
        res?.statusCode,
        entry['responseTime'] !== undefined ? `${format(entry['responseTime'])}ms` : '',
      ]
        .filter((p) => p !== undefined && p !== '')
        .join(' ')
    : '';
  const fields = Object.entries(rest).map(([k, v]) => paint(2, `${k}=`) + format(v));
  const err = entry['err'] as { message?: string; stack?: string } | undefined;
  const head = [
    time,
    paint(levelColor, level),
    paint(2, service),
    String(entry['msg'] ?? ''),
    http,
    ...fields,
  ]
    .filter(Boolean)
    .join(' ');
  return err ? `${head}\n${paint(31, err.stack ?? err.message ?? format(err))}` : head;
}

function clock(value: unknown): string {
  const ms =
    typeof value === 'string'
      ? Date.parse(value)
      : value && typeof value === 'object' && typeof (value as { Timestamp?: unknown }).Timestamp === 'number'
        ? (value as { Timestamp: number }).Timestamp
        : NaN;
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString().slice(11, 23);
}

function unitOf(metrics: { Name: string; Unit?: string }[] | undefined, name: string): string {
  const unit = metrics?.find((m) => m.Name === name)?.Unit;
  return unit === 'Milliseconds' ? 'ms' : '';
}

function format(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e4) / 1e4);
  return JSON.stringify(value);
}

/**
 * A sink for a stream of text: whole lines go to `write` readable (prettyLogLine), a partial line
 * waits for its end.
 */
export function prettyLines(
  write: (text: string) => void,
  color = true,
): (chunk: string | Uint8Array) => void {
  let pending = '';
  return (chunk) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) write(`${prettyLogLine(line, color)}\n`);
  };
}

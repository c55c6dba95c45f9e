import { GENERATOR_METRIC } from '@imagegen/contracts';

import { powertoolsMetrics } from './powertools';

/** The EMF documents written to stdout while `run` runs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EMF documents, read field by field
function emfLines(run: () => void): Record<string, any>[] {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l));
}

describe(powertoolsMetrics.name, () => {
  it('writes each data point at once in EMF: the total under service, and the split under service + its dimensions', () => {
    const sink = powertoolsMetrics();
    const [total, split] = emfLines(() =>
      sink.record(GENERATOR_METRIC.imagesMade, 'Count', 1, { model: 'm-1' }, 'req-7'),
    );
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
    expect(total._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'imagegen', Dimensions: [['service']], Metrics: [{ Name: 'ImagesMade', Unit: 'Count' }] },
    ]);
    expect(total).toMatchObject({ service: 'generator', ImagesMade: 1 });
    expect(total.model).toBeUndefined();
    expect(split._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'model']]);
    expect(split).toMatchObject({ service: 'generator', model: 'm-1', ImagesMade: 1 });
    // The request id rides along as a plain field (metadata), the same as on the logs: not a dimension
    expect([total['requestId'], split['requestId']]).toEqual(['req-7', 'req-7']);
    expect(typeof split._aws.Timestamp).toBe('number');
  });

  it('writes a plain number for dollars (unit None) under service alone', () => {
    const [line] = emfLines(() => powertoolsMetrics().record(GENERATOR_METRIC.costUsd, 'None', 0.08));
    expect(line['requestId']).toBeUndefined();
    expect(line._aws.CloudWatchMetrics[0]).toMatchObject({
      Dimensions: [['service']],
      Metrics: [{ Name: 'CostUsd', Unit: 'None' }],
    });
    expect(line.CostUsd).toBe(0.08);
  });
});

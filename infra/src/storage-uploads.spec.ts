import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';

import { Storage, UPLOADS_PREFIX } from './constructs/storage';

const APP_ORIGIN = 'https://images.example.com';

/** The images bucket's properties, synthesized from the Storage construct alone. */
function imagesBucket(props: { retentionDays?: number; versioning?: boolean } = {}): Record<string, unknown> {
  const stack = new Stack(new App(), 'StorageUnderTest', { env: { region: 'us-west-2' } });
  new Storage(stack, 'Storage', {
    retentionDays: props.retentionDays ?? 30,
    versioning: props.versioning ?? false,
    allowedOrigins: [APP_ORIGIN],
  });
  const buckets = Template.fromStack(stack).findResources('AWS::S3::Bucket', {
    Properties: { LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'images/' }) },
  });
  const [images] = Object.values(buckets);
  return images.Properties as Record<string, unknown>;
}

type Rule = Record<string, unknown> & { Filter?: { Prefix?: string } };
const prefixOf = (rule: Rule) => rule['Prefix'] ?? rule.Filter?.Prefix;

describe('images bucket for browser uploads', () => {
  it('lets the app’s origin POST uploads to the bucket and still GET its presigned image links', () => {
    const cors = (imagesBucket()['CorsConfiguration'] as { CorsRules: Record<string, unknown>[] }).CorsRules;
    const forApp = cors.filter((r) => (r['AllowedOrigins'] as string[]).includes(APP_ORIGIN));
    const methods = forApp.flatMap((r) => r['AllowedMethods'] as string[]);
    expect(methods).toEqual(expect.arrayContaining(['GET', 'HEAD', 'POST']));
    // No other origin, and no method beyond those (no PUT or DELETE from a browser).
    expect(cors.flatMap((r) => r['AllowedOrigins'] as string[])).toEqual([APP_ORIGIN]);
    expect(new Set(cors.flatMap((r) => r['AllowedMethods'] as string[]))).toEqual(
      new Set(['GET', 'HEAD', 'POST']),
    );
  });

  it('expires objects under uploads/ after one day, beside the retention rule for everything', () => {
    const rules = (imagesBucket({ retentionDays: 7 })['LifecycleConfiguration'] as { Rules: Rule[] }).Rules;
    const uploads = rules.filter((r) => prefixOf(r) === UPLOADS_PREFIX);
    expect(UPLOADS_PREFIX).toBe('uploads/');
    expect(uploads).toEqual([expect.objectContaining({ ExpirationInDays: 1, Status: 'Enabled' })]);
    // The retention rule still covers every key (images, thumbnails and a job's copies of its uploads).
    expect(rules).toContainEqual(expect.objectContaining({ ExpirationInDays: 7, Status: 'Enabled' }));
    const retention = rules.find((r) => r['ExpirationInDays'] === 7);
    expect(retention && prefixOf(retention)).toBeUndefined();
  });

  it('keeps the uploads rule whatever the retention and versioning', () => {
    const rules = (
      imagesBucket({ retentionDays: 365, versioning: true })['LifecycleConfiguration'] as { Rules: Rule[] }
    ).Rules;
    expect(rules.filter((r) => prefixOf(r) === UPLOADS_PREFIX)).toEqual([
      expect.objectContaining({ ExpirationInDays: 1, Status: 'Enabled' }),
    ]);
  });
});

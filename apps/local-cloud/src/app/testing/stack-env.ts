/**
 * The environment of a local cloud started in-process by a test: every port free (0), its data in
 * `dir`, quiet logs; `extra` adds the test's own settings (latency, sweeper, concurrency, ...).
 */
export function inProcessStackEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    BFF_PORT: '0',
    LOCAL_APIGW_PORT: '0',
    LOCAL_BEDROCK_PORT: '0',
    LOCAL_S3_PORT: '0',
    LOCAL_DYNAMODB_PORT: '0',
    LOCAL_LAMBDA_PORT: '0',
    LOCAL_SQS_PORT: '0',
    LOCAL_CLOUD_DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/**
 * What Bedrock itself enforces for the text models the local ConverseStream serves, written from AWS's
 * pages and kept apart from the app's catalog (libs/contracts), which it is meant to check (ADR 0012).
 */
export interface AwsTextModelRules {
  /** The foundation model id. */
  readonly modelId: string;
  /** The cross-Region inference profile ids that route to it (what Converse may also be given). */
  readonly profileIds: readonly string[];
  /** `end-of-life`: Bedrock answers ResourceNotFoundException. */
  readonly lifecycle: 'active' | 'end-of-life';
  /** The most output tokens one call may ask for (inferenceConfig.maxTokens). */
  readonly maxOutputTokens: number;
  /** Where these facts were read. */
  readonly source: string;
}

export const AWS_TEXT_MODEL_RULES: readonly AwsTextModelRules[] = [
  {
    modelId: 'amazon.nova-micro-v1:0',
    profileIds: ['us.amazon.nova-micro-v1:0'],
    lifecycle: 'active',
    maxOutputTokens: 5_000,
    source:
      'https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-amazon-nova-micro.html; https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html (read 2026-12-02)',
  },
  {
    modelId: 'amazon.nova-2-lite-v1:0',
    profileIds: ['us.amazon.nova-2-lite-v1:0'],
    lifecycle: 'active',
    maxOutputTokens: 65_535,
    source: 'https://docs.aws.amazon.com/nova/latest/nova2-userguide/core-inference.html (read 2026-12-02)',
  },
];

/** The rules of the model a Converse call names, by foundation model id or profile id. */
export function findTextModelRules(
  rules: readonly AwsTextModelRules[],
  id: string,
): AwsTextModelRules | undefined {
  return rules.find((m) => m.modelId === id || m.profileIds.includes(id));
}

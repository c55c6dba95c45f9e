/**
 * The text models the prompt assistant may use, as data (like the image catalog): lifecycle, the id it
 * is invoked by (a cross-Region inference profile), the Regions that profile routes to (the IAM
 * resources a caller needs), and its per-token price with the page and date it was read from.
 */

import { LifecycleState } from '../catalog/model-catalog';

export interface TextModelCatalogEntry {
  /** The foundation model id (what Bedrock's model ARNs and availability name). */
  readonly id: string;
  readonly displayName: string;
  readonly provider: string;
  readonly lifecycle: {
    readonly state: LifecycleState;
    readonly legacyDate?: string;
    readonly endOfLifeDate?: string;
    readonly source: string;
  };
  /**
   * How it is called. `profile`: through a geographic cross-Region inference profile (the id Converse
   * is given); the caller needs the action on the profile ARN in its own Region and on the foundation
   * model ARN in every Region the profile routes to.
   */
  readonly invoke: {
    readonly profileId: string;
    readonly destinationRegions: readonly string[];
    readonly source: string;
  };
  /** Most output tokens one call may ask for (the model card's max output). */
  readonly maxOutputTokens: number;
  /** On-demand price in USD per 1,000 tokens (cross-Region inference: the source Region's price, no surcharge). */
  readonly price: {
    readonly inputPer1kTokensUsd: number;
    readonly outputPer1kTokensUsd: number;
    readonly asOf: string;
    readonly source: string;
  };
}

const NOVA_PRICING = 'https://aws.amazon.com/bedrock/pricing/ (Amazon Nova, on-demand, US Regions)';

export const TEXT_MODEL_CATALOG: readonly TextModelCatalogEntry[] = [
  {
    id: 'amazon.nova-micro-v1:0',
    displayName: 'Amazon Nova Micro',
    provider: 'Amazon',
    // Model card: launched 2024-12-05, Active; Bedrock's lifecycle page lists no legacy date for it.
    lifecycle: {
      state: 'active',
      source:
        'https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-amazon-nova-micro.html; https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.html (read 2026-12-02)',
    },
    invoke: {
      profileId: 'us.amazon.nova-micro-v1:0',
      destinationRegions: ['us-east-1', 'us-east-2', 'us-west-2'],
      source:
        'https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html (US Nova Micro profile; read 2026-12-02)',
    },
    maxOutputTokens: 5_000,
    price: {
      inputPer1kTokensUsd: 0.000035,
      outputPer1kTokensUsd: 0.00014,
      asOf: '2026-12-02',
      source: NOVA_PRICING,
    },
  },
  {
    // Newer and able to reason, but ~9x Micro's input and ~20x its output price: listed, not the default.
    id: 'amazon.nova-2-lite-v1:0',
    displayName: 'Amazon Nova 2 Lite',
    provider: 'Amazon',
    lifecycle: {
      state: 'active',
      source: 'https://docs.aws.amazon.com/nova/latest/nova2-userguide/core-inference.html (read 2026-12-02)',
    },
    invoke: {
      profileId: 'us.amazon.nova-2-lite-v1:0',
      destinationRegions: ['us-east-1', 'us-east-2', 'us-west-2'],
      source: 'https://docs.aws.amazon.com/nova/latest/nova2-userguide/core-inference.html (read 2026-12-02)',
    },
    maxOutputTokens: 65_535,
    price: {
      inputPer1kTokensUsd: 0.0003,
      outputPer1kTokensUsd: 0.0025,
      asOf: '2026-12-02',
      source:
        'https://vercel.com/ai-gateway/models/nova-micro (Amazon Bedrock as provider: 0.30 / 2.50 USD per 1M tokens); confirm on https://aws.amazon.com/bedrock/pricing/',
    },
  },
];

/** The assistant's model unless the deployment names another (the cheapest and fastest current one). */
export const DEFAULT_ASSISTANT_MODEL_ID = 'amazon.nova-micro-v1:0';

export function findTextModel(id: string): TextModelCatalogEntry | undefined {
  return TEXT_MODEL_CATALOG.find((m) => m.id === id || m.invoke.profileId === id);
}

/** Why the assistant cannot use a model now (for the disabled button), or undefined when it can. */
export function textModelUnavailableReason(model: TextModelCatalogEntry | undefined): string | undefined {
  if (!model) return 'The prompt assistant has no model configured.';
  if (model.lifecycle.state === 'retired')
    return `${model.displayName} has been retired by Amazon Bedrock${model.lifecycle.endOfLifeDate ? ` (${model.lifecycle.endOfLifeDate})` : ''}; choose a current model for the assistant.`;
  return undefined;
}

/**
 * The IAM resources ConverseStream through the model's profile is authorized on: the profile ARN in the
 * calling Region and the foundation model ARN in each destination Region (Bedrock user guide,
 * "Prerequisites for inference profiles").
 */
export function textModelResourceArns(
  model: TextModelCatalogEntry,
  region: string,
  account: string,
  partition = 'aws',
): string[] {
  return [
    `arn:${partition}:bedrock:${region}:${account}:inference-profile/${model.invoke.profileId}`,
    ...model.invoke.destinationRegions.map(
      (r) => `arn:${partition}:bedrock:${r}::foundation-model/${model.id}`,
    ),
  ];
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** What a call cost at the catalog's prices, in USD (not rounded: these are fractions of a cent). */
export function textCostUsd(model: TextModelCatalogEntry, usage: TokenUsage): number {
  return (
    (usage.inputTokens / 1000) * model.price.inputPer1kTokensUsd +
    (usage.outputTokens / 1000) * model.price.outputPer1kTokensUsd
  );
}

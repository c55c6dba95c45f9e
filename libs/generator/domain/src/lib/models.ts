import {
  assistantUsageProblems,
  AssistantUsageRecorded,
  AssistantUsageReport,
  catalogEta,
  findTextModel,
  IMAGE_SERVICES,
  ModelEta,
  ModelInfo,
  OwnerSummary,
  ProblemError,
  ServiceInfo,
  textCostUsd,
  TextModelCatalogEntry,
  validationProblem,
} from '@imagegen/contracts';

import { budgetStatuses, periodsOf, queueStatus } from './budgets';
import { GeneratorDeps } from './ports';

/** Durations older than this say little about today's model. */
const ETA_WINDOW_DAYS = 7;
const ETA_SAMPLES = 50;
/** Fewer samples than this: the catalog's figure is the better guess. */
const ETA_MIN_SAMPLES = 3;

/** The nearest-rank percentile of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * p50/p90 of a model's (or an image service's) recent image durations, or the catalog's figures until
 * enough are measured.
 */
export async function modelEta(deps: GeneratorDeps, modelId: string): Promise<ModelEta> {
  const model = deps.catalog(modelId) ?? deps.services(modelId);
  const parallelism = deps.settings.workerConcurrency;
  const fallback = model
    ? catalogEta(model, parallelism)
    : { p50Seconds: 10, p90Seconds: 15, samples: 0, source: 'catalog' as const, parallelism };
  const since = new Date(deps.clock.now().getTime() - ETA_WINDOW_DAYS * 86_400_000).toISOString();
  const durations = await deps.usage.recentDurations(modelId, ETA_SAMPLES, since).catch((err: unknown) => {
    deps.warn('could not read durations', { modelId, err: String(err) });
    return [] as number[];
  });
  if (durations.length < ETA_MIN_SAMPLES) return fallback;
  return {
    p50Seconds: seconds(percentile(durations, 50)),
    p90Seconds: seconds(percentile(durations, 90)),
    samples: durations.length,
    source: 'measured',
    parallelism,
  };
}

/** GET /models: every catalog model with whether this deployment can call it now, and how long it takes. */
export async function listModels(deps: GeneratorDeps): Promise<ModelInfo[]> {
  return Promise.all(
    deps.models().map(async (model): Promise<ModelInfo> => {
      const eta = await modelEta(deps, model.id);
      if (model.lifecycle.state === 'retired') {
        const when = model.lifecycle.endOfLifeDate ? ` on ${model.lifecycle.endOfLifeDate}` : '';
        return {
          ...model,
          available: false,
          availability: 'retired',
          unavailableReason: `Retired by Amazon Bedrock${when}: choose another model.`,
          eta,
        };
      }
      const access = await deps.access.check(model);
      const available = access.availability === 'available' || access.availability === 'unknown';
      return {
        ...model,
        available,
        availability: access.availability,
        ...(access.reason ? { unavailableReason: access.reason } : {}),
        eta,
      };
    }),
  );
}

/**
 * GET /services: every Image Service this deployment offers with how long one of its images takes. Edit
 * jobs record their durations under the service id (the job's `modelId`), as generations do under the model's.
 */
export async function listServices(deps: GeneratorDeps): Promise<ServiceInfo[]> {
  const offered = IMAGE_SERVICES.filter((s) => deps.services(s.id));
  return Promise.all(offered.map(async (s) => ({ id: s.id, eta: await modelEta(deps, s.id) })));
}

/** GET /summary: how long the owner's images are kept, and what the owner spent this month. */
export async function ownerSummary(deps: GeneratorDeps, ownerId: string): Promise<OwnerSummary> {
  const now = deps.clock.now();
  const { day, month } = periodsOf(now);
  const limits = deps.settings.budgets;
  const [spend, usage] = await Promise.all([
    deps.usage.spend(ownerId, month),
    limits ? deps.usage.budgetUsage(ownerId, day, month) : undefined,
  ]);
  return {
    retentionDays: deps.settings.retentionDays,
    presignExpirySeconds: deps.settings.presignExpirySeconds,
    month,
    spentUsd: Math.round(spend.usd * 1000) / 1000,
    images: spend.images,
    ...(limits && usage
      ? { budgets: budgetStatuses(limits, usage, now), queue: queueStatus(deps, usage) }
      : {}),
  };
}

/**
 * POST /usage/assistant: one prompt-assistant suggestion's tokens, priced at the catalog's per-token
 * rates and added to the owner's month the way a job's images are (no image counted).
 */
export async function recordAssistantUsage(
  deps: GeneratorDeps,
  ownerId: string,
  body: unknown,
): Promise<AssistantUsageRecorded> {
  const errors = assistantUsageProblems(body);
  if (errors.length) throw new ProblemError(validationProblem(errors));
  const report = body as AssistantUsageReport;
  const model = findTextModel(report.textModelId) as TextModelCatalogEntry;
  const costUsd = textCostUsd(model, report);
  const month = deps.clock.now().toISOString().slice(0, 7);
  await deps.usage.addSpend(ownerId, month, costUsd, 0);
  return { costUsd, month };
}

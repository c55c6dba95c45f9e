import { AspectRatio, OutputFormat } from '../catalog/model-catalog';
import type { JobInputName } from '../edits/edit-image-request';
import { BudgetStatus, ProblemDetails } from '../errors/problem-details';
import { NormalizedGenerateImageRequest } from './generate-image-request';

export const GENERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

export const TERMINAL_STATUSES: readonly GenerationStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(status: GenerationStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Which engine made an image: real Bedrock, or the local stand-in's offline procedural engine. */
export type ImageEngine = 'bedrock' | 'offline';

export interface GeneratedImage {
  readonly id: string;
  /** Which of the request's `count` images this is (0-based): images arrive in any order. */
  readonly index: number;
  /** Short-lived presigned GET URL, minted each time the job is read. */
  readonly url: string;
  /** Presigned GET URL of a small WebP of the image (what the gallery draws tiles with); absent on older images. */
  readonly thumbnailUrl?: string;
  /** When `url` and `thumbnailUrl` stop working: read the job again for fresh links. */
  readonly urlExpiresAt: string;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  readonly bytes: number;
  readonly format: OutputFormat;
}

/**
 * An input an edit job keeps (its server-side copy, not the upload, which expires after a day): shown as
 * "Made from your upload" and opened again by Reuse (`{ generationId, input }`). A presigned GET like the images'.
 */
export interface EditInputImage {
  readonly url: string;
  /** When `url` stops working: read the job again for a fresh link. */
  readonly urlExpiresAt: string;
}

/** One of the request's images that could not be made (the others are kept: partial success). */
export interface ImageFailure {
  readonly index: number;
  readonly seed: number;
  readonly error: ProblemDetails;
}

/**
 * Where a job's images came from: `model` (Bedrock was called), or `store` (a repeat of an earlier
 * job of the same owner with the same explicit seed and parameters: copied from S3, no model call, cost 0).
 */
export type GenerationSource = 'model' | 'store';

/** A generation job, as the APIs answer it. */
export interface Generation {
  readonly id: string;
  readonly status: GenerationStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly modelId: string;
  readonly request: NormalizedGenerateImageRequest;
  /** The images made so far, ordered by `index` (a running job with count > 1 fills in as they arrive). */
  readonly images: readonly GeneratedImage[];
  /** Images that could not be made, with why (e.g. 3 of 4 made, 1 blocked by the content filter). */
  readonly failures?: readonly ImageFailure[];
  /** Why the job failed or was cut short (a job with no image at all is `failed`). */
  readonly error?: ProblemDetails;
  /** When the first image started, to when the last ended (queue time excluded). */
  readonly durationMs?: number;
  /** The catalog price × the images asked for: known before the job runs. */
  readonly estimatedCostUsd: number;
  /** What the job really cost once ended: the catalog price × the images actually made (0 for `store`). */
  readonly costUsd?: number;
  readonly engine?: ImageEngine;
  /** `store` when answered from an earlier job's stored images (`repeatOf` names it). */
  readonly source?: GenerationSource;
  readonly repeatOf?: string;
  /** When the job and its images are removed (the retention setting). */
  readonly expiresAt?: string;
  /**
   * An edit's image and style image as the job keeps them (absent for a generation, and for an edit that
   * ended with no image: its inputs are removed then). The mask is not offered: Reuse paints a new one.
   */
  readonly inputs?: Readonly<Partial<Record<JobInputName, EditInputImage>>>;
}

export interface GenerationPage {
  readonly items: readonly Generation[];
  readonly nextCursor?: string;
}

/** What the gallery shows about the owner: how long things are kept, and this month's spending. */
export interface OwnerSummary {
  /** Days a job and its images are kept (RETENTION_DAYS: table TTL and S3 lifecycle). */
  readonly retentionDays: number;
  /** Lifetime of a presigned link, in seconds. */
  readonly presignExpirySeconds: number;
  /** The calendar month (UTC) the totals are for, `YYYY-MM`. */
  readonly month: string;
  /** Sum of `costUsd` of the owner's jobs that ended this month (deleted jobs still count: the money was spent). */
  readonly spentUsd: number;
  /** Images made this month (from the model; repeats from the store are free and not counted). */
  readonly images: number;
  /** The budgets that apply to this owner's next job (absent: none configured). */
  readonly budgets?: readonly BudgetStatus[];
  /** The worker's queue: what waits ahead of a new job, and this owner's share of it. */
  readonly queue?: QueueStatus;
}

/** The images queued or being made, for ETAs and the per-owner cap. */
export interface QueueStatus {
  /** Images of every owner queued or in flight: a new job waits behind them. */
  readonly imagesAhead: number;
  /** This owner's images queued or in flight. */
  readonly ownerImages: number;
  /** The most images one owner may have queued or in flight (MAX_IMAGES_IN_FLIGHT_PER_OWNER). */
  readonly ownerLimit: number;
  /** Images made at once (the worker's concurrency). */
  readonly parallelism: number;
}

/** Headers between the BFF and the generator API. */
export const OWNER_HEADER = 'x-imagegen-owner';
export const REQUEST_ID_HEADER = 'x-request-id';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Owner ids: what a cookie id or an OIDC subject may look like. */
export const OWNER_ID_PATTERN = /^[A-Za-z0-9._:@|-]{1,128}$/;
/** An Idempotency-Key (one per click): the BFF and the generator apply this same rule. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

/** Generation and image ids: time-sortable, URL-safe. */
export const GENERATION_ID_PATTERN = /^[0-9a-z]{10,40}$/;

export type { AspectRatio };

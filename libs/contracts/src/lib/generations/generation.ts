import { AspectRatio, OutputFormat } from '../catalog/model-catalog';
import { ProblemDetails } from '../errors/problem-details';
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
  /** Short-lived presigned GET URL, minted each time the job is read. */
  readonly url: string;
  readonly urlExpiresAt: string;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  readonly bytes: number;
  readonly format: OutputFormat;
}

/** A generation job, as the APIs answer it. */
export interface Generation {
  readonly id: string;
  readonly status: GenerationStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly modelId: string;
  readonly request: NormalizedGenerateImageRequest;
  readonly images: readonly GeneratedImage[];
  readonly error?: ProblemDetails;
  readonly durationMs?: number;
  readonly estimatedCostUsd: number;
  readonly engine?: ImageEngine;
}

export interface GenerationPage {
  readonly items: readonly Generation[];
  readonly nextCursor?: string;
}

/** Headers between the BFF and the generator API. */
export const OWNER_HEADER = 'x-imagegen-owner';
export const REQUEST_ID_HEADER = 'x-request-id';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Owner ids: what a cookie id or an OIDC subject may look like. */
export const OWNER_ID_PATTERN = /^[A-Za-z0-9._:@|-]{1,128}$/;
/** Generation and image ids: time-sortable, URL-safe. */
export const GENERATION_ID_PATTERN = /^[0-9a-z]{10,40}$/;

export type { AspectRatio };

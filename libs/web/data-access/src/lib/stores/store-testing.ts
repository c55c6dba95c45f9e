import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { createEnvironmentInjector, EnvironmentInjector, Type } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { GeneratedImage, Generation } from '@imagegen/contracts';

/** Test helpers for the page-scoped stores (used by their specs only; not exported by the library). */

/**
 * A page providing `store`, as `providers: [store]` does: an injector of its own, destroyed when the
 * page goes (`page.destroy()`). Jobs are followed by polling (no EventSource in the tests).
 */
export function openPage<T>(store: Type<T>): {
  page: EnvironmentInjector;
  store: T;
  http: HttpTestingController;
} {
  Object.defineProperty(globalThis, 'EventSource', { value: undefined, configurable: true });
  TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
  const page = createEnvironmentInjector([store], TestBed.inject(EnvironmentInjector));
  return { page, store: page.get(store), http: TestBed.inject(HttpTestingController) };
}

export const CORE = 'stability.stable-image-core-v1:1';
export const T0 = Date.parse('2026-11-24T10:00:00Z');

export function image(id: string, over: Partial<GeneratedImage> = {}): GeneratedImage {
  return {
    id: `${id}-i`,
    index: 0,
    url: `http://s3/${id}.png?X-Amz-Signature=1`,
    urlExpiresAt: '2026-11-24T10:15:00Z',
    width: 1,
    height: 1,
    seed: 7,
    bytes: 1,
    format: 'png',
    ...over,
  };
}

export function job(id: string, over: Partial<Generation> = {}): Generation {
  return {
    id,
    status: 'running',
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:00:00Z',
    modelId: CORE,
    request: { modelId: CORE, prompt: `prompt ${id}`, aspectRatio: '1:1', count: 1, outputFormat: 'png' },
    images: [],
    estimatedCostUsd: 0.04,
    ...over,
  };
}

/** Every request to the API still open (to assert that nothing at all was sent). */
export function openRequests(http: HttpTestingController): number {
  return http.match(() => true).length;
}

import { createEnvironmentInjector, EnvironmentInjector } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { ErrorCode, problem, UploadedImage } from '@imagegen/contracts';

import { EditsApi, UploadProblem } from '../edits-api';
import { UploadStore } from './upload-store';

const IMAGE: UploadedImage = {
  uploadId: 'up0123456789ab',
  width: 800,
  height: 600,
  format: 'jpeg',
  hasAlpha: false,
  bytes: 5,
  url: 'https://s3.example/u',
  urlExpiresAt: '2026-12-02T15:00:00Z',
};

/** An EditsApi whose uploads the test finishes by hand. */
class FakeEditsApi {
  readonly calls: {
    onProgress?: (f: number) => void;
    signal?: AbortSignal;
    resolve: (i: UploadedImage) => void;
    reject: (e: unknown) => void;
  }[] = [];
  upload(_file: Blob, onProgress?: (f: number) => void, signal?: AbortSignal): Promise<UploadedImage> {
    return new Promise((resolve, reject) => {
      this.calls.push({ onProgress, signal, resolve, reject });
      signal?.addEventListener('abort', () => reject(new DOMException('stopped', 'AbortError')));
    });
  }
}

let api: FakeEditsApi;
let page: EnvironmentInjector;
let store: UploadStore;
const file = () => new Blob(['x'], { type: 'image/jpeg' });

beforeEach(() => {
  api = new FakeEditsApi();
  TestBed.configureTestingModule({ providers: [{ provide: EditsApi, useValue: api }] });
  page = createEnvironmentInjector([UploadStore], TestBed.inject(EnvironmentInjector));
  store = page.get(UploadStore);
});

describe(UploadStore.name, () => {
  it('shows the share sent, then the check, then the image', async () => {
    const done = store.upload(file());
    expect(store.phase()).toBe('sending');
    api.calls[0].onProgress?.(0.4);
    expect([store.phase(), store.progress(), store.busy()]).toEqual(['sending', 0.4, true]);
    api.calls[0].onProgress?.(1);
    expect(store.phase()).toBe('checking');
    api.calls[0].resolve(IMAGE);
    expect(await done).toEqual(IMAGE);
    expect([store.phase(), store.image(), store.busy()]).toEqual(['ready', IMAGE, false]);
  });

  it('says a refused image in words', async () => {
    const done = store.upload(file());
    api.calls[0].reject(new UploadProblem(problem(ErrorCode.INPUT_IMAGE_FILTERED)));
    expect(await done).toBeUndefined();
    expect(store.phase()).toBe('failed');
    expect(store.problem()?.code).toBe(ErrorCode.INPUT_IMAGE_FILTERED);
    expect(store.message()?.title).toBe('Your image was blocked');
  });

  it('stops on request, and a new upload replaces the one in progress', async () => {
    const first = store.upload(file());
    const second = store.upload(file());
    expect(api.calls[0].signal?.aborted).toBe(true);
    expect(await first).toBeUndefined();
    api.calls[1].onProgress?.(0.5);
    expect(store.phase()).toBe('sending');
    store.stop();
    expect(await second).toBeUndefined();
    expect([store.phase(), store.problem()]).toEqual(['stopped', undefined]);
  });

  it('stops the transfer when the page goes', () => {
    void store.upload(file());
    page.destroy();
    expect(api.calls[0].signal?.aborted).toBe(true);
  });
});

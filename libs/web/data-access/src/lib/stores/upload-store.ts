import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';

import { ProblemDetails, UploadedImage } from '@imagegen/contracts';
import { userMessage } from '@imagegen/web/util-jobs';

import { EditsApi } from '../edits-api';
import { problemFrom } from '../problem-messages';

/** `sending`: bytes on their way to S3; `checking`: all sent, S3's answer and the check awaited. */
export type UploadPhase = 'idle' | 'sending' | 'checking' | 'ready' | 'failed' | 'stopped';

/**
 * One image being uploaded for a page (provide it in the page): the phase, the share sent, the checked image
 * or the problem in words. A new upload replaces the one in progress; leaving the page stops the transfer.
 */
@Injectable()
export class UploadStore {
  private readonly api = inject(EditsApi);
  private running?: AbortController;

  readonly phase = signal<UploadPhase>('idle');
  /** 0 to 1: how much of the file has been sent. */
  readonly progress = signal(0);
  readonly image = signal<UploadedImage | undefined>(undefined);
  readonly problem = signal<ProblemDetails | undefined>(undefined);
  readonly message = computed(() => {
    const p = this.problem();
    return p ? userMessage(p) : undefined;
  });
  readonly busy = computed(() => this.phase() === 'sending' || this.phase() === 'checking');

  constructor() {
    inject(DestroyRef).onDestroy(() => this.running?.abort());
  }

  /** Uploads and checks `file`; answers the checked image, or undefined when it failed or was stopped. */
  async upload(file: Blob): Promise<UploadedImage | undefined> {
    this.running?.abort();
    const run = new AbortController();
    this.running = run;
    this.phase.set('sending');
    this.progress.set(0);
    this.image.set(undefined);
    this.problem.set(undefined);
    const current = () => this.running === run;
    try {
      const image = await this.api.upload(
        file,
        (fraction) => {
          if (!current()) return;
          this.progress.set(fraction);
          if (fraction >= 1) this.phase.set('checking');
        },
        run.signal,
      );
      if (!current()) return undefined;
      this.image.set(image);
      this.phase.set('ready');
      return image;
    } catch (err) {
      if (!current()) return undefined;
      if ((err as { name?: unknown })?.name === 'AbortError') this.phase.set('stopped');
      else {
        this.problem.set(problemFrom(err));
        this.phase.set('failed');
      }
      return undefined;
    }
  }

  /** Stops the transfer in progress (nothing is checked). */
  stop(): void {
    this.running?.abort();
  }

  /** Forgets the image and any problem. */
  reset(): void {
    this.running?.abort();
    this.running = undefined;
    this.phase.set('idle');
    this.progress.set(0);
    this.image.set(undefined);
    this.problem.set(undefined);
  }
}

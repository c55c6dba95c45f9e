import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { RouterLink } from '@angular/router';

import { GeneratedImage, Generation, isTerminal } from '@imagegen/contracts';
import {
  costText,
  formatTime,
  ImageSlot,
  imageSlots,
  jobProgress,
  outcomeSummary,
  statusLabel,
  userMessage,
} from '@imagegen/web/util-jobs';

/**
 * A job: its status and progress while it runs, then its images by index as they arrive (straight from
 * their presigned URLs), what could not be made and why, the time it took and what it cost.
 */
@Component({
  selector: 'ig-generation-view',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, MatProgressBarModule, RouterLink],
  templateUrl: './generation-view.html',
  styleUrl: './generation-view.scss',
})
export class GenerationView {
  readonly generation = input.required<Generation>();
  /** Seconds since the job was created (ticks while it runs). */
  readonly elapsedSeconds = input(0);
  /** Typical seconds for this model and image count (the p50 of its ETA). */
  readonly expectedSeconds = input(10);
  /** Past this, the job is "taking longer than usual" (the p90 of its ETA); 1.5 × expected when not given. */
  readonly slowAfterSeconds = input<number | undefined>(undefined);
  /** Offer "Edit" per image: the editor opens on it (`/edit?generation=…&image=…`). */
  readonly editable = input(false);
  /** What the edit link says ("Edit again" on the editor's own results). */
  readonly editLabel = input('Edit');
  /** Draw the images on a checkerboard, so transparent pixels (a removed background) show as such. */
  readonly transparent = input(false);
  /** Offer "Copy link" per image (the share link is the presigned URL). */
  readonly shareable = input(false);
  readonly download = output<GeneratedImage>();
  readonly copyLink = output<GeneratedImage>();
  /** An image did not load (its link probably expired): the page reads the job again. */
  readonly imageError = output<GeneratedImage>();

  protected readonly running = computed(() => !isTerminal(this.generation().status));
  protected readonly progress = computed(() =>
    jobProgress(this.elapsedSeconds(), {
      expectedSeconds: this.expectedSeconds(),
      slowAfterSeconds: this.slowAfterSeconds() ?? Math.ceil(this.expectedSeconds() * 1.5),
    }),
  );
  protected readonly statusText = computed(() => statusLabel(this.generation().status));
  protected readonly outcome = computed(() => outcomeSummary(this.generation()));
  protected readonly cost = computed(() => costText(this.generation()));
  protected readonly slots = computed(() => imageSlots(this.generation()));
  protected readonly count = computed(() => this.slots().length);
  protected readonly offline = computed(() => this.generation().engine === 'offline');
  protected readonly repeat = computed(() => this.generation().source === 'store');
  protected readonly ratio = computed(() => this.generation().request.aspectRatio.replace(':', ' / '));

  protected altOf(index: number): string {
    const prompt = this.generation().request.prompt;
    // An edit without a prompt (remove background, an upscale) is named as an edit.
    const what = prompt ? `Generated image` : 'Edited image';
    const of = prompt ? ` for: ${prompt}` : '';
    return this.count() === 1 ? `${what}${of}` : `${what} ${index + 1} of ${this.count()}${of}`;
  }

  protected readonly time = formatTime;

  protected failureText(slot: ImageSlot): string {
    return slot.state === 'failed' ? userMessage(slot.failure.error).message : '';
  }
}

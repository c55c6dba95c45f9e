import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';

import { GeneratedImage, Generation } from '@imagegen/contracts';

/** A job: its status and progress while it runs, then its images (straight from their presigned URLs). */
@Component({
  selector: 'ig-generation-view',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, MatProgressBarModule],
  templateUrl: './generation-view.html',
  styleUrl: './generation-view.scss',
})
export class GenerationView {
  readonly generation = input.required<Generation>();
  /** Seconds since the job was created (ticks while it runs). */
  readonly elapsedSeconds = input(0);
  /** Typical seconds for this model and image count. */
  readonly expectedSeconds = input(10);
  readonly download = output<GeneratedImage>();

  protected readonly running = computed(() => ['queued', 'running'].includes(this.generation().status));
  protected readonly progress = computed(() => Math.min(95, Math.round((this.elapsedSeconds() / Math.max(1, this.expectedSeconds())) * 100)));
  protected readonly statusText = computed(() => {
    switch (this.generation().status) {
      case 'queued':
        return 'Queued';
      case 'running':
        return 'Generating';
      case 'succeeded':
        return 'Done';
      case 'failed':
        return 'Failed';
      case 'cancelled':
        return 'Cancelled';
    }
  });
  protected readonly offline = computed(() => this.generation().engine === 'offline');

  protected formatOf(image: GeneratedImage): string {
    return image.format.toUpperCase();
  }
}

import { ChangeDetectionStrategy, Component, computed, input, output, signal } from '@angular/core';
import { MatProgressBarModule } from '@angular/material/progress-bar';

/**
 * "Upload an image": a file picker that is also a drop zone. Presentational: the file goes out, the
 * upload's progress (0..1) comes in. Only the types the editor takes are offered; the server checks the
 * bytes whatever the name or type says.
 */
@Component({
  selector: 'ig-image-drop',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatProgressBarModule],
  template: `
    <div
      class="drop"
      [class.drop--over]="over()"
      [attr.data-testid]="testId()"
      (dragenter)="dragOver($event)"
      (dragover)="dragOver($event)"
      (dragleave)="over.set(false)"
      (drop)="dropped($event)"
    >
      <label class="drop__label">
        <span class="drop__button">{{ label() }}</span>
        <input
          class="drop__input"
          type="file"
          accept="image/png,image/jpeg,image/webp"
          [attr.data-testid]="testId() + '-input'"
          [disabled]="progress() !== undefined"
          (change)="picked($event)"
        />
      </label>
      <span class="drop__hint">{{ hint() }}</span>
      @if (percent() !== undefined) {
        <mat-progress-bar
          mode="determinate"
          [value]="percent()"
          [attr.aria-label]="'Uploading: ' + percent() + ' %'"
          [attr.data-testid]="testId() + '-progress'"
        />
      }
    </div>
  `,
  styles: `
    .drop {
      display: flex;
      flex-direction: column;
      align-items: center;
      gap: 8px;
      padding: 20px 16px;
      border: 2px dashed var(--mat-sys-outline-variant);
      border-radius: 16px;
      text-align: center;
    }
    .drop--over {
      border-color: var(--mat-sys-primary);
      background: var(--mat-sys-surface-container);
    }
    .drop__label {
      cursor: pointer;
    }
    .drop__button {
      display: inline-block;
      padding: 8px 16px;
      border-radius: 20px;
      border: 1px solid var(--mat-sys-outline);
      color: var(--mat-sys-primary);
      font: var(--mat-sys-label-large);
    }
    .drop__label:focus-within .drop__button {
      outline: 2px solid var(--mat-sys-primary);
      outline-offset: 2px;
    }
    /* Kept in the page (focusable, and what tests set files on), drawn by the label. */
    .drop__input {
      position: absolute;
      width: 1px;
      height: 1px;
      opacity: 0;
      overflow: hidden;
    }
    .drop__hint {
      color: var(--mat-sys-on-surface-variant);
      font: var(--mat-sys-body-small);
    }
    mat-progress-bar {
      width: 100%;
    }
  `,
})
export class ImageDrop {
  readonly label = input('Upload an image');
  readonly hint = input('or drop a PNG, JPEG or WebP here');
  /** 0..1 while an upload runs; undefined otherwise. */
  readonly progress = input<number | undefined>(undefined);
  readonly testId = input('image-drop');
  readonly file = output<File>();

  protected readonly over = signal(false);
  protected readonly percent = computed(() => {
    const p = this.progress();
    return p === undefined ? undefined : Math.round(p * 100);
  });

  protected dragOver(e: DragEvent): void {
    e.preventDefault();
    this.over.set(true);
  }

  protected dropped(e: DragEvent): void {
    e.preventDefault();
    this.over.set(false);
    const file = e.dataTransfer?.files?.[0];
    if (file && this.progress() === undefined) this.file.emit(file);
  }

  protected picked(e: Event): void {
    const el = e.target as HTMLInputElement;
    const file = el.files?.[0];
    if (file) this.file.emit(file);
    // The same file picked again is a new upload.
    el.value = '';
  }
}

import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/** A problem said plainly, announced to screen readers. */
@Component({
  selector: 'ig-problem-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="banner" role="alert" data-testid="error-banner">
      <strong>{{ title() }}</strong>
      <span>{{ message() }}</span>
    </div>
  `,
  styles: `
    .banner {
      display: flex;
      flex-direction: column;
      gap: 4px;
      padding: 12px 16px;
      border-radius: 12px;
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
  `,
})
export class ProblemBanner {
  readonly title = input.required<string>();
  readonly message = input.required<string>();
}

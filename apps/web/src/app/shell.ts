import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterOutlet } from '@angular/router';

@Component({
  selector: 'ig-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet],
  template: `
    <header class="bar">
      <a class="brand" href="/">imagegen</a>
      <span class="tagline">text to image on Amazon Bedrock</span>
    </header>
    <main>
      <router-outlet />
    </main>
  `,
  styles: `
    .bar {
      display: flex;
      align-items: baseline;
      gap: 12px;
      padding: 12px 24px;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
    }
    .brand {
      font: var(--mat-sys-title-large);
      color: var(--mat-sys-primary);
      text-decoration: none;
    }
    .tagline {
      color: var(--mat-sys-on-surface-variant);
      font: var(--mat-sys-body-medium);
    }
  `,
})
export class Shell {}

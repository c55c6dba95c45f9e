import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

@Component({
  selector: 'ig-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  template: `
    <header class="bar">
      <a class="brand" href="/">imagegen</a>
      <span class="tagline">text to image on Amazon Bedrock</span>
      <nav class="nav" aria-label="Main">
        <a
          routerLink="/"
          routerLinkActive="active"
          [routerLinkActiveOptions]="{ exact: true }"
          data-testid="nav-create"
          >Create</a
        >
        <a routerLink="/compare" routerLinkActive="active" data-testid="nav-compare">Compare</a>
        <a routerLink="/gallery" routerLinkActive="active" data-testid="nav-gallery">My images</a>
      </nav>
    </header>
    <main>
      <router-outlet />
    </main>
  `,
  styles: `
    .bar {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 4px 12px;
      padding: 12px 24px;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
    }
    .brand {
      font: var(--mat-sys-title-large);
      color: var(--mat-sys-primary);
      text-decoration: none;
    }
    .nav {
      display: flex;
      gap: 16px;
      margin-left: auto;
    }
    .nav a {
      color: var(--mat-sys-on-surface);
      text-decoration: none;
      font: var(--mat-sys-label-large);
    }
    .nav a.active {
      color: var(--mat-sys-primary);
      text-decoration: underline;
    }
    .tagline {
      color: var(--mat-sys-on-surface-variant);
      font: var(--mat-sys-body-medium);
    }
    @media (max-width: 520px) {
      .bar {
        padding: 12px;
      }
      .tagline {
        display: none;
      }
    }
  `,
})
export class Shell {}

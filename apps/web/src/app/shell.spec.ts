import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import { routes } from './app.routes';
import { Shell } from './shell';

describe(Shell.name, () => {
  it('shows the product name, the navigation and a place for the page', () => {
    TestBed.configureTestingModule({ providers: [provideRouter([])] });
    const fixture = TestBed.createComponent(Shell);
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('.brand')?.textContent).toBe('imagegen');
    expect(el.querySelector('router-outlet')).not.toBeNull();
    const nav = ['nav-create', 'nav-compare', 'nav-gallery'].map((id) =>
      el.querySelector(`[data-testid="${id}"]`)?.getAttribute('href'),
    );
    expect(nav).toEqual(['/', '/compare', '/gallery']);
  });
});

describe('routes', () => {
  it('loads every page lazily, the job detail under /gallery/:id and the editor under /edit', () => {
    const paths = routes.map((r) => r.path);
    expect(paths).toEqual(['', 'gallery', 'gallery/:id', 'edit', 'compare', '**']);
    expect(routes.filter((r) => r.path !== '**').every((r) => typeof r.loadComponent === 'function')).toBe(
      true,
    );
  });
});

import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { Checkerboard } from './checkerboard';

@Component({
  imports: [Checkerboard],
  template: `<div igCheckerboard data-testid="plain"></div>
    <div igCheckerboard [checkerSize]="4" data-testid="small"></div>`,
})
class Page {}

describe(Checkerboard.name, () => {
  it('puts squares behind the element, twice the square’s side per tile', async () => {
    const fixture = TestBed.createComponent(Page);
    fixture.detectChanges();
    await fixture.whenStable();
    const el = (id: string) =>
      (fixture.nativeElement as HTMLElement).querySelector(`[data-testid="${id}"]`) as HTMLElement;
    expect(el('plain').classList).toContain('ig-checkerboard');
    expect(el('plain').style.backgroundSize).toBe('16px 16px');
    expect(el('small').style.backgroundSize).toBe('8px 8px');
  });
});

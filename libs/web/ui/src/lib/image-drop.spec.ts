import { TestBed } from '@angular/core/testing';

import { ImageDrop } from './image-drop';

function render(inputs: Record<string, unknown> = {}) {
  const fixture = TestBed.createComponent(ImageDrop);
  for (const [k, v] of Object.entries(inputs)) fixture.componentRef.setInput(k, v);
  fixture.detectChanges();
  const files: File[] = [];
  fixture.componentInstance.file.subscribe((f) => files.push(f));
  const el = fixture.nativeElement as HTMLElement;
  return { fixture, el, files };
}

const png = () => new File([new Uint8Array(8)], 'cat.png', { type: 'image/png' });

describe(ImageDrop.name, () => {
  it('hands over a picked file, offering only the types the editor takes', () => {
    const { el, files } = render();
    const input = el.querySelector('[data-testid="image-drop-input"]') as HTMLInputElement;
    expect(input.accept).toBe('image/png,image/jpeg,image/webp');
    const file = png();
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input.dispatchEvent(new Event('change'));
    expect(files).toEqual([file]);
  });

  it('hands over a dropped file', () => {
    const { el, files } = render();
    const file = png();
    const drop = new Event('drop', { cancelable: true }) as Event & { dataTransfer: unknown };
    drop.dataTransfer = { files: [file] };
    el.querySelector('[data-testid="image-drop"]')?.dispatchEvent(drop);
    expect(files).toEqual([file]);
    expect(drop.defaultPrevented).toBe(true);
  });

  it('shows the progress of an upload and takes no other file meanwhile', () => {
    const { el, files } = render({ progress: 0.25 });
    expect(el.querySelector('[data-testid="image-drop-progress"]')?.getAttribute('aria-label')).toBe(
      'Uploading: 25 %',
    );
    expect((el.querySelector('[data-testid="image-drop-input"]') as HTMLInputElement).disabled).toBe(true);
    const drop = new Event('drop', { cancelable: true }) as Event & { dataTransfer: unknown };
    drop.dataTransfer = { files: [png()] };
    el.querySelector('[data-testid="image-drop"]')?.dispatchEvent(drop);
    expect(files).toEqual([]);
  });
});

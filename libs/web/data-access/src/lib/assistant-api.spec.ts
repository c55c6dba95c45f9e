import { readSseEvents } from './assistant-api';

describe(readSseEvents.name, () => {
  it('splits complete events, skips keep-alive comments, and keeps an unfinished event for the next chunk', () => {
    const first = readSseEvents(
      'event: start\ndata: {"type":"start","textModelId":"m","textModelName":"M"}\n\n: keep-alive\n\nevent: delta\ndata: {"type":"del',
    );
    expect(first.events).toEqual([{ type: 'start', textModelId: 'm', textModelName: 'M' }]);
    const second = readSseEvents(`${first.rest}ta","text":"A red "}\n\n`);
    expect(second.events).toEqual([{ type: 'delta', text: 'A red ' }]);
    expect(second.rest).toBe('');
  });
});

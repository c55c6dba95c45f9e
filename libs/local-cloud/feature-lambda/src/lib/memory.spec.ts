import { memoryReport, memorySizeProblem } from './memory';

describe(memorySizeProblem.name, () => {
  it.each([128, 256, 1024, 1025, 10_240])('takes %i MB, as Lambda does', (memorySizeMb) => {
    expect(memorySizeProblem({ functionName: 'worker', memorySizeMb })).toBeUndefined();
  });

  it.each([64, 127, 10_241, 512.5])('refuses %s MB, as Lambda would at deploy time', (memorySizeMb) => {
    expect(memorySizeProblem({ functionName: 'worker', memorySizeMb })).toMatch(
      /^worker: MemorySize .* from 128 to 10240\)$/,
    );
  });
});

describe(memoryReport.name, () => {
  it('lists each size and says it is not enforced locally', () => {
    expect(memoryReport([{ functionName: 'api', memorySizeMb: 512 }])).toMatchObject({
      functions: [{ functionName: 'api', memorySizeMb: 512 }],
      enforced: false,
    });
  });
});

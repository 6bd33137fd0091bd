import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.ts';

function pipe() {
  const writes: string[] = [];
  const stream = { isTTY: false, write: (s: string) => writes.push(s) > 0 };
  return { writes, stream: stream as unknown as NodeJS.WriteStream };
}

describe('createProgress without a terminal', () => {
  it('writes whole lines: one at the start, at most one per interval, one at the end', () => {
    const { writes, stream } = pipe();
    let clock = 1_000;
    const progress = createProgress('Validating', { stream, intervalMs: 2000, now: () => clock });
    progress.update(1, '/r/a.yaml');
    for (let i = 2; i <= 30; i++) {
      clock += 250;
      progress.update(i, `/r/${i}.yaml`);
    }
    progress.stop();
    progress.stop();
    expect(writes).toEqual([
      'Validating: started, /r/a.yaml\n',
      'Validating: 9 files, /r/9.yaml\n',
      'Validating: 17 files, /r/17.yaml\n',
      'Validating: 25 files, /r/25.yaml\n',
      'Validating: done, 30 files in 7.3 s\n',
    ]);
  });

  it('keeps a line short, cutting a long detail from the left', () => {
    const { writes, stream } = pipe();
    const progress = createProgress('Reading catalog', { stream });
    progress.update(1, `/very${'/deep'.repeat(100)}/catalog-info.yaml`);
    expect(writes[0]!.length).toBeLessThanOrEqual(201);
    expect(writes[0]).toMatch(/^Reading catalog: started, ….*\/deep\/catalog-info\.yaml\n$/);
  });

  it('writes nothing when there was nothing to do', () => {
    const { writes, stream } = pipe();
    createProgress('Validating', { stream }).stop();
    expect(writes).toEqual([]);
  });
});

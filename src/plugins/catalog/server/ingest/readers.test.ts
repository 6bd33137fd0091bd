import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileReader, type SourceFile } from './readers.ts';

async function readAll(reader: FileReader, target: string, roots?: string[]) {
  const result = await reader.read(target, roots ? { roots } : {});
  const files: SourceFile[] = [];
  for await (const file of result.files) files.push(file);
  return { files, problems: result.problems };
}

describe('FileReader limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-reader-'));
  for (let i = 0; i < 30; i++) {
    mkdirSync(join(dir, `d${i}`));
    for (let j = 0; j < 5; j++) writeFileSync(join(dir, `d${i}`, `f${j}.txt`), 'x');
  }

  it('stops a crawl that visits far more entries than it may match, naming the limit', async () => {
    const reader = new FileReader(() => ({ globFiles: 2, globBytes: 1 << 20 }));
    const started = performance.now();
    const { files, problems } = await readAll(reader, join(dir, '**', 'nothing.yaml'));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(files).toEqual([]);
    expect(problems[0]?.message).toMatch(
      /searches more than 40 directory entries \(limit catalog\.limits\.globFiles/,
    );
  });

  it('reads a glob within its limits, one file at a time', async () => {
    const reader = new FileReader(() => ({ globFiles: 200, globBytes: 1 << 20 }));
    const result = await reader.read(join(dir, 'd1', '*.txt'));
    expect(Array.isArray(result.files)).toBe(false);
    const { files, problems } = await readAll(reader, join(dir, 'd1', '*.txt'), [dir]);
    expect(problems).toEqual([]);
    expect(files.map((f) => f.content)).toEqual(['x', 'x', 'x', 'x', 'x']);
  });
});

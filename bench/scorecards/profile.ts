/**
 * Where a server's CPU time went in a profiled phase, from `.cpuprofile` files (V8's format,
 * as ./serve.ts writes them): self time per function (name, file and line), the largest
 * first, and per source file.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO, round } from '../catalog/harness.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  ms: number;
  pct: number;
  what: string;
}

export function summarizeProfile(files: string[], top = 30) {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      const node = nodes.get(id);
      if (!node) return;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)' || functionName === '(program)') return;
      total += ms;
      const where = url ? relative(REPO, url.replace(/^file:\/\//, '')) : '';
      const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
      const fileKey = where || functionName;
      byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + ms);
    });
  }
  const rank = (map: Map<string, number>): ProfileLine[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([what, ms]) => ({ ms: round(ms, 0), pct: round((ms / total) * 100, 1), what }));
  const functions = rank(byFunction);
  const sources = rank(byFile);
  const text = [
    `busy ${round(total, 0)} ms in ${files.length} profile(s); by function:`,
    ...functions.map(
      (l) => `  ${String(l.ms).padStart(7)} ms ${String(l.pct).padStart(5)}%  ${l.what}`,
    ),
    'by file:',
    ...sources.map(
      (l) => `  ${String(l.ms).padStart(7)} ms ${String(l.pct).padStart(5)}%  ${l.what}`,
    ),
  ].join('\n');
  return { top: { busyMs: round(total, 0), functions, sources }, text };
}

import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isInside } from './fs-safety.ts';
import type { ProblemSink } from './problems.ts';

/**
 * pymdownx.snippets: a line `--8<-- "file.md"` (or a block of file names between two
 * `--8<--` lines) is replaced by the file's lines, indented as the marker is. Paths are read
 * as MkDocs reads them, from the folder holding mkdocs.yml, then from the docs folder; either
 * way the file must be inside the docs folder (so the source hash, which covers the docs
 * folder, sees every file a page can include). Anything else is a build problem naming the
 * file and line, and is never read. `file.md:3:8` includes lines 3–8, `file.md:name` the part
 * between `--8<-- [start:name]` and `--8<-- [end:name]`; `;--8<--` is the escaped marker.
 */
export interface SnippetFolders {
  rootReal: string;
  docsReal: string;
  /** The docs folder as messages show it, e.g. 'docs/'. */
  docsPrefix: string;
  problems: ProblemSink;
}

export interface ExpandedPage {
  text: string;
  /** For each line of `text` (0-based), the page line (1-based) it comes from. */
  pageLines: number[];
}

/** Included text grows a page to at most this: includes can multiply (a file twice, twice…). */
export const MAX_EXPANDED_BYTES = 10 * 1024 * 1024;
const MAX_SNIPPET_BYTES = 5 * 1024 * 1024;
const MAX_DEPTH = 16;
const MAX_INCLUDES = 1_000;

const SINGLE = /^([ \t]*)(;*)(-+8<-+[ \t]+)("(?:\\"|[^"\r\n])+?"|'(?:\\'|[^'\r\n])+?')[ \t]*$/;
const BLOCK = /^([ \t]*)(;*)(-+8<-+)[ \t]*$/;
const SECTION_MARK = /^[ \t]*(;*)-+8<-+[ \t]+\[(?:start|end):[\w-]+\][ \t]*$/;
const SPEC = /^(.*?)(?:((?::-?\d*){1,2}(?:,-?\d*(?::-?\d*)?)*)|:([a-z][-_0-9a-z]*))?$/i;

/** Quick test: does the text hold a snippet marker at all? */
export function hasSnippets(text: string): boolean {
  return text.includes('8<-');
}

export function expandSnippets(text: string, shown: string, folders: SnippetFolders): ExpandedPage {
  const out: string[] = [];
  const pageLines: number[] = [];
  const budget: Budget = { bytes: 0, includes: 0, exceeded: false };
  const emit = (line: string, pageLine: number) => {
    budget.bytes += line.length + 1;
    out.push(line);
    pageLines.push(pageLine);
  };
  expandInto(text.split(/\r?\n/), shown, undefined, [], folders, budget, emit);
  return { text: out.join('\n'), pageLines };
}

type Emit = (line: string, pageLine: number) => void;
type Budget = { bytes: number; includes: number; exceeded: boolean };

function expandInto(
  lines: string[],
  shown: string,
  /** The page line every line of this file maps to (undefined: the page itself). */
  pageLine: number | undefined,
  chain: string[],
  folders: SnippetFolders,
  budget: Budget,
  emit: Emit,
): void {
  const { problems } = folders;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const at = pageLine ?? index + 1;
    if (!line.includes('8<-')) {
      emit(line, at);
      continue;
    }
    const single = SINGLE.exec(line);
    const block = single ? null : BLOCK.exec(line);
    const section = single || block ? null : SECTION_MARK.exec(line);
    if (section) {
      // Section markers are never shown, except escaped ones (one ';' removed).
      if (section[1]) emit(line.replace(';', ''), at);
      continue;
    }
    const marker = single ?? block;
    if (!marker) {
      emit(line, at);
      continue;
    }
    if (marker[2]) {
      emit(line.replace(';', ''), at);
      continue;
    }
    const indent = marker[1]!;
    const specs: Array<{ spec: string; line: number }> = [];
    if (single) {
      specs.push({ spec: single[4]!.slice(1, -1).replace(/\\(["'])/g, '$1'), line: index + 1 });
    } else {
      let end = index + 1;
      while (end < lines.length && !BLOCK.test(lines[end]!)) end++;
      for (let inner = index + 1; inner < end; inner++) {
        const name = lines[inner]!.trim();
        if (name && !name.startsWith(';')) specs.push({ spec: name, line: inner + 1 });
      }
      index = end;
    }
    for (const { spec, line: specLine } of specs) {
      if (budget.exceeded) continue;
      budget.includes += 1;
      if (budget.includes > MAX_INCLUDES) {
        budget.exceeded = true;
        problems.error(
          `more than ${MAX_INCLUDES} snippets in one page; '${spec}' and later snippets not included`,
          shown,
          specLine,
        );
        continue;
      }
      const included = readSnippet(spec, shown, specLine, chain, folders);
      if (!included) continue;
      if (budget.bytes + included.text.length > MAX_EXPANDED_BYTES) {
        budget.exceeded = true;
        problems.error(
          `snippets make the page larger than ${MAX_EXPANDED_BYTES / 1024 / 1024} MB; '${spec}' and later snippets not included`,
          shown,
          specLine,
        );
        continue;
      }
      const includedLines = included.lines.map((text) => (text === '' ? '' : indent + text));
      expandInto(
        includedLines,
        included.shown,
        pageLine ?? specLine,
        [...chain, included.real],
        folders,
        budget,
        (text, mapped) => emit(text, mapped),
      );
    }
  }
}

function readSnippet(
  spec: string,
  shown: string,
  line: number,
  chain: string[],
  folders: SnippetFolders,
): { text: string; lines: string[]; real: string; shown: string } | undefined {
  const { problems, rootReal, docsReal, docsPrefix } = folders;
  const parsed = SPEC.exec(spec.trim())!;
  const file = parsed[1]!;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec.trim())) {
    problems.warn(`snippet '${spec}': snippets from URLs are not fetched; left out`, shown, line);
    return undefined;
  }
  if (file === '' || file.includes('\0')) {
    problems.warn(`snippet '${spec}' names no file; left out`, shown, line);
    return undefined;
  }
  const normalised = file.replace(/\\/g, '/');
  if (path.posix.isAbsolute(normalised) || /^[a-z]:/i.test(normalised)) {
    problems.error(`snippet '${spec}' is an absolute path: refused`, shown, line);
    return undefined;
  }
  if (chain.length >= MAX_DEPTH) {
    problems.error(
      `snippet '${spec}' is nested more than ${MAX_DEPTH} deep; left out`,
      shown,
      line,
    );
    return undefined;
  }
  let outside = false;
  for (const base of [rootReal, docsReal]) {
    const candidate = path.resolve(base, ...normalised.split('/'));
    if (!isInside(rootReal, candidate)) {
      problems.error(`snippet '${spec}' leaves the docs folder: refused`, shown, line);
      return undefined;
    }
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch {
      continue;
    }
    if (!isInside(docsReal, real)) {
      outside = true;
      continue;
    }
    const stat = statSync(real);
    if (!stat.isFile()) continue;
    if (stat.size > MAX_SNIPPET_BYTES) {
      problems.error(`snippet '${spec}' is over 5 MB; left out`, shown, line);
      return undefined;
    }
    if (chain.includes(real)) {
      problems.error(`snippet '${spec}' includes itself; left out`, shown, line);
      return undefined;
    }
    const fileLines = readFileSync(real, 'utf8').split(/\r?\n/);
    // A final newline ends the last line; it is not an empty line of its own.
    if (fileLines.length > 1 && fileLines[fileLines.length - 1] === '') fileLines.pop();
    const selected = select(fileLines, parsed[2], parsed[3]);
    const relShown = docsPrefix + path.relative(docsReal, real).split(path.sep).join('/');
    if (selected === undefined) {
      problems.warn(`snippet '${spec}': no section '${parsed[3]}' in ${relShown}`, shown, line);
      return undefined;
    }
    return { text: selected.join('\n'), lines: selected, real, shown: relShown };
  }
  if (outside) {
    problems.error(
      `snippet '${spec}' is outside the docs folder '${docsPrefix || './'}': refused`,
      shown,
      line,
    );
  } else {
    problems.warn(`snippet '${spec}' not found`, shown, line);
  }
  return undefined;
}

/** The lines a `:3:8` range or a `:name` section selects; undefined for a missing section. */
function select(
  lines: string[],
  ranges: string | undefined,
  section: string | undefined,
): string[] | undefined {
  if (section) {
    const start = lines.findIndex((line) => isSectionMark(line, 'start', section));
    const end = lines.findIndex(
      (line, index) => index > start && isSectionMark(line, 'end', section),
    );
    if (start < 0) return undefined;
    return lines.slice(start + 1, end < 0 ? lines.length : end);
  }
  if (!ranges) return lines;
  const selected: string[] = [];
  for (const range of ranges.slice(1).split(',')) {
    const [from, to] = range.split(':');
    const position = (value: string | undefined, fallback: number) => {
      if (value === undefined || value === '') return fallback;
      const n = Number(value);
      return n < 0 ? lines.length + n + 1 : n;
    };
    const first = Math.max(1, position(from, 1));
    const last = Math.min(lines.length, position(to, lines.length));
    selected.push(...lines.slice(first - 1, last));
  }
  return selected;
}

function isSectionMark(line: string, kind: 'start' | 'end', name: string): boolean {
  const match = /^[ \t]*-+8<-+[ \t]+\[(start|end):([\w-]+)\][ \t]*$/.exec(line);
  return match !== null && match[1] === kind && match[2] === name;
}

import type { StateBlock } from 'markdown-it';

/**
 * The last line of a Python-Markdown style body: every line after `startLine` indented four
 * columns deeper than the current block, blank lines included, up to the first that is not.
 * `startLine` itself when there is none.
 */
export function indentedBodyEnd(state: StateBlock, startLine: number, endLine: number): number {
  let last = startLine;
  for (let line = startLine + 1; line < endLine; line++) {
    if (state.isEmpty(line)) continue;
    if (state.sCount[line]! - state.blkIndent < 4) break;
    last = line;
  }
  return last;
}

/**
 * Parses lines [from, to) as the Markdown blocks of a container (admonition, tab), whose
 * content sits `indent` columns deeper than the container line.
 */
export function tokenizeInside(
  state: StateBlock,
  from: number,
  to: number,
  container: { parentType: string; indent: number },
): void {
  const oldParent = state.parentType;
  const oldLineMax = state.lineMax;
  const oldIndent = state.blkIndent;
  state.parentType = container.parentType as typeof state.parentType;
  state.lineMax = to;
  state.blkIndent = oldIndent + container.indent;
  state.md.block.tokenize(state, from, to);
  state.parentType = oldParent;
  state.lineMax = oldLineMax;
  state.blkIndent = oldIndent;
}

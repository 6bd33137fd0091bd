import { mkdir, mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProblemSink } from './problems.ts';
import { expandSnippets } from './snippets.ts';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-DOCS';

/** root/{mkdocs.yml, README.md, docs/…} beside outside/secret.md, as real files. */
async function folder(files: Record<string, string>) {
  const base = await realpath(await mkdtemp(path.join(tmpdir(), 'atrium-snippets-')));
  const rootReal = path.join(base, 'root');
  const all: Record<string, string> = {
    'root/mkdocs.yml': 'site_name: x\n',
    'root/README.md': `${SECRET} readme\n`,
    'outside/secret.md': `${SECRET}\n`,
    ...Object.fromEntries(Object.entries(files).map(([rel, text]) => [`root/docs/${rel}`, text])),
  };
  for (const [rel, text] of Object.entries(all)) {
    await mkdir(path.dirname(path.join(base, rel)), { recursive: true });
    await writeFile(path.join(base, rel), text);
  }
  await mkdir(path.join(rootReal, 'docs'), { recursive: true });
  const problems = new ProblemSink();
  const folders = {
    rootReal,
    docsReal: path.join(rootReal, 'docs'),
    docsPrefix: 'docs/',
    problems,
  };
  const expand = (text: string) => expandSnippets(text, 'docs/page.md', folders);
  return { base, rootReal, problems, expand };
}

const brief = (problems: ProblemSink) =>
  problems.list.map((p) => `${p.level} ${p.file}:${p.line} ${p.message}`);

describe('pymdownx.snippets', () => {
  it('includes files from the mkdocs.yml folder or the docs folder, indented as the marker', async () => {
    const { expand, problems } = await folder({
      'includes/a.md': 'A1\nA2\n',
      'includes/b.md': 'B1\n--8<-- "includes/a.md"\n',
    });
    const page = expand('top\n--8<-- "docs/includes/a.md"\n    --8<-- \'includes/b.md\'\nend');
    expect(page.text).toBe('top\nA1\nA2\n    B1\n    A1\n    A2\nend');
    // Included lines count as the marker's line of the page, for messages.
    expect(page.pageLines).toEqual([1, 2, 2, 3, 3, 3, 4]);
    expect(problems.list).toEqual([]);
  });

  it('reads the block form, line ranges, sections and the escaped marker', async () => {
    const { expand, problems } = await folder({
      'parts.md': 'one\ntwo\nthree\n--8<-- [start:s]\nin section\n--8<-- [end:s]\n',
    });
    expect(expand('--8<--\nparts.md:2:3\n;parts.md\n\nparts.md:s\n--8<--').text).toBe(
      'two\nthree\nin section',
    );
    expect(expand('--8<-- "parts.md::1"\n--8<-- "parts.md:3"').text).toBe('one\nthree\nin section');
    expect(expand(';--8<-- "parts.md"').text).toBe('--8<-- "parts.md"');
    expect(problems.list).toEqual([]);
  });

  it('refuses every way out of the docs folder, naming the page and line, and reads nothing', async () => {
    const { base, rootReal, expand, problems } = await folder({ 'ok.md': 'fine\n' });
    await symlink(path.join(base, 'outside/secret.md'), path.join(rootReal, 'docs/link.md'));
    const page = expand(
      [
        '--8<-- "../outside/secret.md"',
        '--8<-- "../../outside/secret.md"',
        `--8<-- "${path.join(base, 'outside/secret.md')}"`,
        '--8<-- "README.md"',
        '--8<-- "link.md"',
        '--8<-- "https://example.com/x.md"',
        '--8<-- "missing.md"',
        '--8<-- "ok.md"',
      ].join('\n'),
    );
    expect(page.text).toBe('fine');
    expect(page.text).not.toContain(SECRET);
    expect(brief(problems)).toEqual([
      "error docs/page.md:1 snippet '../outside/secret.md' leaves the docs folder: refused",
      "error docs/page.md:2 snippet '../../outside/secret.md' leaves the docs folder: refused",
      `error docs/page.md:3 snippet '${path.join(base, 'outside/secret.md')}' is an absolute path: refused`,
      "error docs/page.md:4 snippet 'README.md' is outside the docs folder 'docs/': refused",
      "error docs/page.md:5 snippet 'link.md' is outside the docs folder 'docs/': refused",
      "warning docs/page.md:6 snippet 'https://example.com/x.md': snippets from URLs are not fetched; left out",
      "warning docs/page.md:7 snippet 'missing.md' not found",
    ]);
  });

  it('stops a file including itself and names the file that does it', async () => {
    const { expand, problems } = await folder({
      'a.md': 'a\n--8<-- "b.md"\n',
      'b.md': 'b\n--8<-- "a.md"\n',
    });
    expect(expand('--8<-- "a.md"').text).toBe('a\nb');
    expect(brief(problems)).toEqual(["error docs/b.md:2 snippet 'a.md' includes itself; left out"]);
  });

  it('bounds how many snippets one page takes', async () => {
    const { expand, problems } = await folder({
      'x.md': `${'--8<-- "y.md"\n'.repeat(40)}`,
      'y.md': `${'--8<-- "z.md"\n'.repeat(40)}`,
      'z.md': 'z\n',
    });
    const page = expand('--8<-- "x.md"');
    expect(page.text.split('\n').length).toBeLessThan(1_000);
    expect(brief(problems)).toEqual([
      "error docs/y.md:15 more than 1000 snippets in one page; 'z.md' and later snippets not included",
    ]);
  });
});

import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';

/** What an absolute folder becomes in the task log. */
interface Root {
  path: string;
  /** `''`: paths inside become relative (`skeleton/README.md`), the folder itself `.`. */
  as: string;
}

// A V8 stack frame line: `    at fn (/abs/file.ts:1:2)`, `    at async /abs/file.ts:3:4`, …
const STACK_FRAME = /\r?\n[ \t]+at [^\n]*/g;
// Characters a file name continues with: a root must not be followed (or preceded) by one.
const NAME_CHAR = '[\\w.~-]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Keeps the server's own file system out of task logs: rewrites paths inside the task's
 * workspace relative to it (`/srv/atrium/data/workspaces/<id>/workspace/skeleton/README.md` →
 * `skeleton/README.md`), the task's scratch folders and the system temporary folder to
 * `<tmp>`, the task's own folder to `<task>`, the server's working directory to `<server>`, and
 * drops stack-trace lines. `file:` URLs of those paths are rewritten the same way.
 *
 * Applied, with the secret masker, to every event a task stores or sends (execute.ts); not to
 * step outputs, which later steps use as they are.
 */
export class LogScrubber {
  private readonly roots: Root[] = [];
  private pattern: RegExp | undefined;

  constructor(workspacePath: string, options: { cwd?: string } = {}) {
    this.add(workspacePath, '');
    this.add(dirname(resolve(workspacePath)), '<task>');
    this.add(tmpdir(), '<tmp>');
    this.add(options.cwd ?? process.cwd(), '<server>');
  }

  /** Adds a folder (e.g. a scratch folder the task created); its real path is added too. */
  add(path: string, as = '<tmp>'): void {
    for (const form of new Set([resolve(path), real(path)])) {
      // `/` itself would match everything.
      if (!form || form === '/' || this.roots.some((r) => r.path === form)) continue;
      this.roots.push({ path: form.replace(/\/+$/, ''), as });
    }
    this.roots.sort((a, b) => b.path.length - a.path.length);
    this.pattern = undefined;
  }

  text(value: string): string {
    this.pattern ??= new RegExp(
      `(?:file:(?://)?)?(?<!${NAME_CHAR})(${this.roots.map((r) => escapeRegExp(r.path)).join('|')})(?!${NAME_CHAR})(/)?`,
      'g',
    );
    const byPath = new Map(this.roots.map((r) => [r.path, r.as]));
    return value
      .replace(STACK_FRAME, '')
      .replace(this.pattern, (_match, root: string, slash: string | undefined) => {
        const as = byPath.get(root) ?? '<tmp>';
        if (as === '') return slash ? '' : '.';
        return slash ? `${as}/` : as;
      });
  }

  /** A scrubbed deep copy of a JSON-like value (strings only; keys are left alone). */
  json<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.walk(v);
      return out;
    }
    return value;
  }
}

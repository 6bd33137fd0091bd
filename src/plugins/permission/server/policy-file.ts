import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { KnownNames } from '../../../core/permissions/conditions.ts';
import type { Policy, PolicyProblem } from '../../../core/permissions/policy-model.ts';
import type { SourceKind } from '../common/index.ts';

export type PolicyParser = (
  text: string,
  file: string,
  known: KnownNames,
) => { policy: Policy; problems: PolicyProblem[] };

/** A file's bytes are re-read this long after it changed, whatever its stat says (coarse mtimes). */
const RECENT_MS = 3000;

const isError = (p: PolicyProblem) => p.severity !== 'warning';

/**
 * One policy file and the version of it in force. A read with errors never replaces the
 * version in force: the last good one stays (or nothing, when there never was one), and the
 * problems are kept for the administration page.
 */
export class PolicyFile {
  /** The version in force; undefined until a read succeeds. */
  policy: Policy | undefined;
  loadedAt: string | undefined;
  checkedAt: string | undefined;
  /** Problems of the last read (warnings of the version in force when it succeeded). */
  problems: PolicyProblem[] = [];
  /** Roles of the last read, even a failed one: a role declared there is still the file's. */
  attemptedRoles = new Map<string, number | undefined>();
  private text: string | undefined;
  private hash: string | undefined;
  private fingerprint = '';

  constructor(
    readonly kind: SourceKind,
    readonly file: string,
    readonly reload: boolean,
    private readonly parse: PolicyParser,
  ) {}

  get status(): 'ok' | 'stale' | 'failed' {
    if (!this.policy) return 'failed';
    return this.problems.some(isError) ? 'stale' : 'ok';
  }

  /**
   * Reads the file when it changed since the last read (always on the first call); parses it
   * against `known`. Returns what happened, or undefined when nothing changed.
   */
  async check(known: () => KnownNames): Promise<'loaded' | 'failed' | undefined> {
    let fingerprint: string;
    let text: string;
    try {
      const info = await stat(this.file);
      fingerprint = `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
      if (
        this.text !== undefined &&
        fingerprint === this.fingerprint &&
        Date.now() - info.mtimeMs > RECENT_MS
      ) {
        return undefined;
      }
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const message =
        code === 'ENOENT'
          ? 'The file does not exist'
          : `The file cannot be read (${code ?? (error as Error).message})`;
      if (this.fingerprint === `error:${message}`) return undefined;
      this.fingerprint = `error:${message}`;
      this.text = undefined;
      this.hash = undefined;
      this.checkedAt = new Date().toISOString();
      this.problems = [{ file: this.file, message }];
      return 'failed';
    }
    this.fingerprint = fingerprint;
    const hash = createHash('sha256').update(text).digest('hex');
    if (hash === this.hash) return undefined;
    this.text = text;
    this.hash = hash;
    return this.parseText(known());
  }

  /**
   * Parses the text last read again, e.g. once a role it names has appeared in another
   * source. Only a file whose last read failed needs it.
   */
  retry(known: KnownNames): 'loaded' | 'failed' | undefined {
    if (this.text === undefined || !this.problems.some(isError)) return undefined;
    const before = JSON.stringify(this.problems);
    const outcome = this.parseText(known);
    return outcome === 'failed' && JSON.stringify(this.problems) === before ? undefined : outcome;
  }

  private parseText(known: KnownNames): 'loaded' | 'failed' {
    const parsed = this.parse(this.text!, this.file, known);
    this.checkedAt = new Date().toISOString();
    this.problems = parsed.problems;
    this.attemptedRoles = new Map(parsed.policy.roles.map((r) => [r.name, r.source.line]));
    if (parsed.problems.some(isError)) return 'failed';
    this.policy = parsed.policy;
    this.loadedAt = this.checkedAt;
    return 'loaded';
  }
}

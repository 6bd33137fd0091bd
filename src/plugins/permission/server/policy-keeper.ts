import { type KnownNames, knownNames } from '../../../core/permissions/conditions.ts';
import {
  displayFile,
  displayProblem,
  EVERYONE_ROLE,
  formatProblem,
  type Policy,
  type PolicyProblem,
} from '../../../core/permissions/policy-model.ts';
import type { HostRegistry } from '../../../core/host-services.ts';
import { precedenceWarnings } from '../../../core/permissions/rhdh-conditional.ts';
import type { AuditRecorder, Logger } from '../../../core/plugin-api.ts';
import type { SourceView } from '../common/index.ts';
import { CONFIG_SOURCE, DATABASE_SOURCE, mergePolicy } from './merge-policy.ts';
import type { PolicyFile } from './policy-file.ts';
import type { RoleStore, StoredRole } from './role-store.ts';

/** How often files and the database are looked at for changes. */
export const POLL_MS = 1000;

/**
 * Until the sources are read at start, nothing is allowed (the server listens a moment before
 * start hooks run).
 */
const LOADING: Policy = {
  roles: [],
  rules: [
    {
      name: 'the access policy is still being read',
      effect: 'deny',
      roles: [EVERYONE_ROLE],
      permissions: ['*'],
      source: { file: 'atrium' },
    },
  ],
  superUsers: [],
  admins: [],
};

export interface KeeperOptions {
  files: PolicyFile[];
  /** `permission.rbac.admin.users` and `.superUsers`, as user refs. */
  admins: string[];
  superUsers: string[];
  store: RoleStore;
  registry: HostRegistry;
  logger: Logger;
  audit: AuditRecorder;
}

/**
 * The one policy in force: every policy file (each with its last good version), the admins
 * from config, and the roles kept in the database, merged. Files and the database are polled
 * for changes, so every replica follows within a couple of seconds.
 */
export class PolicyKeeper {
  private merged: Policy = LOADING;
  private databaseRoles: StoredRole[] = [];
  private databaseVersion = -1;
  private databaseProblems: PolicyProblem[] = [];
  private databaseCheckedAt: string | undefined;
  private timers: NodeJS.Timeout[] = [];
  private busy = { files: false, database: false };
  /** A poll still running at shutdown finds the database closed: not worth an error. */
  private stopped = false;

  constructor(private readonly options: KeeperOptions) {}

  current(): Policy {
    return this.merged;
  }

  get files(): readonly PolicyFile[] {
    return this.options.files;
  }

  get storedRoles(): readonly StoredRole[] {
    return this.databaseRoles;
  }

  /** Reads every source once, then watches them. */
  async start(): Promise<void> {
    await this.refreshDatabase(true);
    for (const file of this.options.files) {
      const outcome = await file.check(() => this.known());
      if (outcome) this.report(file, outcome, true);
    }
    this.retryFailed(true);
    this.rebuild();
    const every = (task: () => Promise<void>) => {
      const timer = setInterval(() => void task(), POLL_MS);
      timer.unref();
      this.timers.push(timer);
    };
    if (this.options.files.some((f) => f.reload)) every(() => this.checkFiles());
    every(() => this.refreshDatabase(false));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /** Names policies may use: the installed plugins' permissions, and every declared role. */
  known(): KnownNames {
    const { registry } = this.options;
    return knownNames(registry.permissions(), registry.resourceTypes().values(), this.roleNames());
  }

  private roleNames(): string[] {
    const names = new Set<string>();
    for (const file of this.options.files) {
      for (const role of file.policy?.roles ?? []) names.add(role.name);
    }
    for (const role of this.databaseRoles) names.add(role.name);
    return [...names];
  }

  /** The file declaring a role, with its line, as far as its last read tells. */
  fileDeclaring(name: string): { file: string; line?: number } | undefined {
    for (const file of this.options.files) {
      const role = file.policy?.roles.find((r) => r.name === name);
      if (role) return role.source;
      if (file.attemptedRoles.has(name)) {
        return { file: file.file, line: file.attemptedRoles.get(name) };
      }
    }
    return undefined;
  }

  async checkFiles(): Promise<void> {
    if (this.busy.files) return;
    this.busy.files = true;
    try {
      let changed = false;
      for (const file of this.options.files) {
        if (!file.reload) continue;
        const outcome = await file.check(() => this.known());
        if (outcome) {
          this.report(file, outcome, false);
          changed = true;
        }
      }
      if (changed) {
        this.retryFailed(false);
        this.rebuild();
      }
    } catch (error) {
      this.options.logger.error('Checking the policy files failed', { error: String(error) });
    } finally {
      this.busy.files = false;
    }
  }

  /** Reloads the database roles when their version moved (or always, with `force`). */
  async refreshDatabase(force: boolean): Promise<void> {
    if (this.busy.database && !force) return;
    this.busy.database = true;
    try {
      if (!force && (await this.options.store.version()) === this.databaseVersion) return;
      const { version, roles } = await this.options.store.snapshot();
      this.databaseVersion = version;
      this.databaseRoles = roles;
      this.databaseCheckedAt = new Date().toISOString();
      if (this.merged !== LOADING) {
        this.retryFailed(false);
        this.rebuild();
      }
    } catch (error) {
      if (this.stopped) return;
      // A replica that cannot reach the database keeps the roles it has.
      this.options.logger.error('Reading the roles in the database failed', {
        error: String(error),
      });
    } finally {
      this.busy.database = false;
    }
  }

  /** A file that failed because it names a role declared elsewhere is read again once it exists. */
  private retryFailed(atStart: boolean): void {
    for (let round = 0; round < 3; round++) {
      let any = false;
      for (const file of this.options.files) {
        const outcome = file.retry(this.known());
        if (outcome) {
          this.report(file, outcome, atStart);
          any = true;
        }
      }
      if (!any) return;
    }
  }

  private report(file: PolicyFile, outcome: 'loaded' | 'failed', atStart: boolean): void {
    const { logger, audit } = this.options;
    const problems = file.problems.map(formatProblem);
    if (outcome === 'loaded') {
      const policy = file.policy!;
      logger.info(
        `${atStart ? 'Read' : 'Reloaded'} policy file ${file.file}: ${policy.roles.length} roles, ${policy.rules.length} rules`,
      );
      for (const warning of problems) logger.warn(`Policy file: ${warning}`);
    } else {
      const kept =
        file.status === 'stale'
          ? `the version read at ${file.loadedAt} stays in force`
          : 'NOTHING from it is in force and EVERY request is denied (super users and policy admins excepted) until it is fixed';
      logger.error(`Policy file ${file.file} has errors; ${kept}`, { problems });
    }
    // The audit log is read in the web app: the file as people see it, not the server's layout.
    const shown = file.problems.map((p) => formatProblem(displayProblem(p)));
    audit.record({
      action: 'permission.policy.reloaded',
      resourceRef: displayFile(file.file),
      outcome: outcome === 'loaded' ? 'success' : 'failure',
      details: {
        source: file.kind,
        status: file.status,
        ...(shown.length ? { problems: shown.slice(0, 20) } : {}),
      },
    });
  }

  /** Builds the merged policy from what each source has in force. */
  rebuild(): void {
    const merged = mergePolicy({
      files: this.options.files,
      storedRoles: this.databaseRoles,
      admins: this.options.admins,
      superUsers: this.options.superUsers,
      known: this.known(),
    });
    this.merged = merged.policy;
    this.databaseProblems = merged.databaseProblems;
  }

  /** Each source with what it contributes and its problems, for the administration page. */
  sources(): SourceView[] {
    const csv = this.options.files.find((f) => f.kind === 'rhdh-csv')?.policy;
    // Files and problems as people see them: the server's layout stays on the server.
    const views: SourceView[] = this.options.files.map((file) => ({
      kind: file.kind,
      file: displayFile(file.file),
      reload: file.reload,
      status: file.status,
      ...(file.loadedAt ? { loadedAt: file.loadedAt } : {}),
      ...(file.checkedAt ? { checkedAt: file.checkedAt } : {}),
      roles: file.policy?.roles.length ?? 0,
      rules: file.policy?.rules.length ?? 0,
      problems: (file.kind === 'rhdh-conditional' && file.policy && csv
        ? [...file.problems, ...precedenceWarnings(csv, file.policy, this.known())]
        : file.problems
      ).map(displayProblem),
    }));
    views.push({
      kind: 'config',
      file: CONFIG_SOURCE,
      reload: false,
      status: 'ok',
      roles: 0,
      rules: 0,
      problems: [],
    });
    views.push({
      kind: 'database',
      file: DATABASE_SOURCE,
      reload: true,
      status: 'ok',
      ...(this.databaseCheckedAt
        ? { loadedAt: this.databaseCheckedAt, checkedAt: this.databaseCheckedAt }
        : {}),
      roles: this.databaseRoles.length,
      rules: this.databaseRoles.reduce((n, r) => n + r.rules.length, 0),
      problems: this.databaseProblems,
    });
    return views;
  }
}

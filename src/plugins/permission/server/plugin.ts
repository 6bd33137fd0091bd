import { hostRegistryRef, policyProviderRef } from '../../../core/host-services.ts';
import { parsePolicyYaml } from '../../../core/permissions/policy-yaml.ts';
import { parseRhdhConditional } from '../../../core/permissions/rhdh-conditional.ts';
import { parseRhdhCsv } from '../../../core/permissions/rhdh-csv.ts';
import { definePlugin, type PluginDefinition } from '../../../core/plugin-api.ts';
import { catalogServiceRef } from '../../catalog/server/plugin.ts';
import type { UserLookup } from './explain.ts';
import { permissionMigrations } from './migrations.ts';
import { PolicyFile } from './policy-file.ts';
import { PolicyKeeper } from './policy-keeper.ts';
import { registerPermissionRoutes } from './routes.ts';
import { RoleStore } from './role-store.ts';
import { policySettings } from './settings.ts';

/**
 * Access control's administration: keeps the policy in force (Atrium's YAML file, RHDH's CSV
 * and conditional files, admins from config, and roles edited in the web app), serves it to
 * the host's evaluator, and answers "who may do what, and why".
 *
 * Listed before the catalog: the policy must be in force before the catalog's start hook
 * ingests anything, and the catalog (for explaining a user's groups) is looked up only when a
 * request needs it.
 */
export function permissionPlugin(): PluginDefinition {
  return definePlugin({
    id: 'permission',
    migrations: permissionMigrations,
    setup(env) {
      const settings = policySettings(env.config);
      const files: PolicyFile[] = [];
      // RHDH's files first: Atrium's file and the conditional file may name their roles.
      if (settings.csvFile) {
        files.push(new PolicyFile('rhdh-csv', settings.csvFile, settings.reloadRhdh, parseRhdhCsv));
      }
      if (settings.policyFile) {
        files.push(new PolicyFile('atrium-yaml', settings.policyFile, true, parsePolicyYaml));
      }
      if (settings.conditionalFile) {
        files.push(
          new PolicyFile(
            'rhdh-conditional',
            settings.conditionalFile,
            settings.reloadRhdh,
            parseRhdhConditional,
          ),
        );
      }
      const store = new RoleStore(env.database);
      const registry = env.use(hostRegistryRef);
      const keeper = new PolicyKeeper({
        files,
        admins: settings.admins,
        superUsers: settings.superUsers,
        store,
        registry,
        logger: env.logger,
        audit: env.audit,
      });
      env.provide(policyProviderRef, { current: () => keeper.current() });
      const users = (): UserLookup | undefined => {
        try {
          return env.use(catalogServiceRef).users;
        } catch {
          // An app assembled without the catalog: a user is only themselves.
          return undefined;
        }
      };
      registerPermissionRoutes(env, { keeper, store, registry, users });
      // Before the server listens: no request is decided on a policy not read yet.
      env.onReady(() => keeper.start());
      env.onStop(() => keeper.stop());
    },
  });
}

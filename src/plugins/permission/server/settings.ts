import type { AtriumConfig } from '../../../core/config/index.ts';

/** The policy sources named in config (the loader made paths absolute and refs lowercase). */
export interface PolicySettings {
  /** `permission.policyFile`: Atrium's YAML policy, always reloaded when it changes. */
  policyFile?: string;
  /** `permission.rbac.policies-csv-file`. */
  csvFile?: string;
  /** `permission.rbac.conditionalPoliciesFile`. */
  conditionalFile?: string;
  /** `permission.rbac.policyFileReload`: whether the two RHDH files are reloaded. */
  reloadRhdh: boolean;
  /** `permission.rbac.admin.users`: user and group refs. */
  admins: string[];
  /** `permission.rbac.admin.superUsers`: user and group refs. */
  superUsers: string[];
}

export function policySettings(config: AtriumConfig): PolicySettings {
  const { permission } = config;
  const { rbac } = permission;
  return {
    policyFile: permission.policyFile,
    csvFile: rbac['policies-csv-file'],
    conditionalFile: rbac.conditionalPoliciesFile,
    reloadRhdh: rbac.policyFileReload,
    admins: rbac.admin.users,
    superUsers: rbac.admin.superUsers,
  };
}

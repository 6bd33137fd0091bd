import type { DataLimits } from '../model/data-limits.ts';
import type { AtriumConfig } from './config/index.ts';

/** `backend.limits` as the model's data limits, for every parser of user input. */
export function dataLimits(config: Pick<AtriumConfig, 'backend'>): DataLimits {
  const limits = config.backend.limits;
  return {
    maxDepth: limits.nestingDepth,
    maxAliases: limits.yamlAliases,
    maxExpandedBytes: limits.expandedBytes,
  };
}

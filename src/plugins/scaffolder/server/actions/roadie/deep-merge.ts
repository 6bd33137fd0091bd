/**
 * lodash's `merge` / `mergeWith`, which Roadie's merge actions use: plain objects merged key
 * by key, arrays index by index (or, with `concatArrays`, the target's items then the new
 * ones, each value once, as their `mergeArrays` customiser does), `undefined` never
 * overwriting. `__proto__` keys are skipped, as lodash skips them.
 */
export function deepMerge(target: unknown, source: unknown, concatArrays = false): unknown {
  if (concatArrays && Array.isArray(target)) {
    return Array.from(new Set(target.concat(source as never)));
  }
  if (isPlainObject(source)) {
    const base: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
    for (const [key, value] of Object.entries(source)) {
      if (key === '__proto__') continue;
      if (value === undefined && key in base) continue;
      base[key] = deepMerge(base[key], value, concatArrays);
    }
    return base;
  }
  if (Array.isArray(source)) {
    const base: unknown[] = Array.isArray(target) ? [...target] : [];
    source.forEach((value, i) => {
      base[i] = deepMerge(base[i], value, concatArrays);
    });
    return base;
  }
  return source === undefined ? target : source;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

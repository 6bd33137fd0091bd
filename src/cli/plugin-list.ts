import { relative } from 'node:path';
import { loadConfig } from '../core/config/index.ts';
import { PLUGIN_API_VERSION } from '../plugins/plugin-manager/common/index.ts';
import { isCompatible } from '../plugins/plugin-manager/server/compatibility.ts';
import { installPackage } from '../plugins/plugin-manager/server/packages.ts';
import { hostVersion } from '../plugins/plugin-manager/server/plugin.ts';

interface Row {
  id: string;
  builtin: boolean;
  /** `plugins[i]` for external ones. */
  entry?: string;
  source: string;
  package: string;
  version: string;
  location: string | null;
  integrity: string | null;
  apiVersion: string;
  compatible: boolean | null;
  /** loaded, disabled, not fetched yet, incompatible, or the error that stops the start. */
  status: string;
}

/**
 * `atrium plugin list`: what the config loads, built-in plugins first, as the server would
 * take them, without fetching anything: a package not fetched yet says so. Exits 1 when an
 * entry would stop the start (missing, incompatible, broken).
 */
export async function pluginListCommand(
  options: { config?: string[]; json?: boolean },
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const cwd = process.cwd();
  const { config, warnings } = await loadConfig({
    configPaths: options.config,
    cwd,
    env: process.env,
  });
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  const { installedPlugins } = await import('../plugins/index.ts');
  const rows: Row[] = installedPlugins().map((p) => ({
    id: p.id,
    builtin: true,
    source: 'built-in',
    package: 'atrium',
    version: hostVersion(),
    location: null,
    integrity: null,
    apiVersion: PLUGIN_API_VERSION,
    compatible: true,
    status: 'built-in',
  }));
  let broken = false;
  for (const entry of config.plugins) {
    const row: Row = {
      id: '?',
      builtin: false,
      entry: entry.key,
      source: entry.package,
      package: '?',
      version: '?',
      location: null,
      integrity: entry.integrity ?? null,
      apiVersion: '?',
      compatible: null,
      status: 'disabled',
    };
    rows.push(row);
    if (!entry.enabled) continue;
    try {
      const pkg = await installPackage(entry.package, {
        baseDir: entry.baseDir,
        integrity: entry.integrity,
        offline: true,
      });
      if (!pkg) {
        row.status = 'not fetched yet (the next start or `atrium plugin install` fetches it)';
        continue;
      }
      const m = pkg.manifest;
      Object.assign(row, {
        id: m.id,
        package: m.name,
        version: m.version,
        location: relative(cwd, pkg.folder) || '.',
        integrity: pkg.integrity,
        apiVersion: m.apiVersion,
        compatible: isCompatible(m.apiVersion),
      });
      const taken = rows.find((r) => r !== row && r.id === m.id);
      row.status = !row.compatible
        ? `incompatible: needs plugin API ${m.apiVersion}, this Atrium provides ${PLUGIN_API_VERSION}`
        : taken
          ? `id '${m.id}' is already taken by ${taken.builtin ? 'a built-in plugin' : taken.entry}`
          : 'loads';
      if (row.status !== 'loads') broken = true;
    } catch (error) {
      row.status = `error: ${(error as Error).message.replaceAll('\n', ' ')}`;
      broken = true;
    }
  }

  if (options.json) {
    out(JSON.stringify(rows, null, 2));
    return broken ? 1 : 0;
  }
  const table = [
    ['ID', 'VERSION', 'API', 'SOURCE', 'STATUS'],
    ...rows.map((r) => [
      r.id,
      r.version,
      r.apiVersion,
      r.builtin ? 'built-in' : `${r.entry}: ${r.source}`,
      r.status,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((cells) => cells[i]!.length)));
  for (const cells of table) {
    out(cells.map((cell, i) => (i < cells.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  '));
  }
  const external = rows.filter((r) => !r.builtin && r.status !== 'disabled');
  if (external.length) out('');
  for (const r of external) {
    out(`${r.id} (${r.entry}: ${r.source})`);
    out(`  package    ${r.package}@${r.version}`);
    out(`  location   ${r.location ?? '-'}`);
    out(`  integrity  ${r.integrity ?? 'none (folder)'}`);
    out(
      `  plugin API ${r.apiVersion}: ${r.compatible === null ? 'unknown' : r.compatible ? 'compatible' : 'incompatible'} with ${PLUGIN_API_VERSION}`,
    );
  }
  return broken ? 1 : 0;
}

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { PLUGIN_API_VERSION } from '../plugins/plugin-manager/common/index.ts';
import { incompatibility } from '../plugins/plugin-manager/server/compatibility.ts';
import { classifySource, installPackage } from '../plugins/plugin-manager/server/packages.ts';
import { validatePluginConfig } from '../plugins/plugin-manager/server/plugin-config.ts';

/**
 * `atrium plugin install <spec>`: fetches and unpacks the package into `plugins/` beside the
 * config file (as a start would), checks it can load here, and adds `{package, integrity}` to
 * the config's `plugins:` (or updates the entry of the same package), editing the YAML
 * document in place so comments and layout stay. Returns the exit code.
 */
export async function pluginInstallCommand(
  spec: string,
  options: { config: string; integrity?: string },
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const cwd = process.cwd();
  const configFile = resolve(cwd, options.config);
  const baseDir = dirname(configFile);
  // A path on the command line is relative to where the command runs; in the config it is
  // written relative to the config file, as every path there is.
  let configSpec = spec;
  const given = classifySource(spec, cwd);
  if (given.kind === 'folder' || given.kind === 'tarball') {
    const rel = relative(baseDir, given.target).split(sep).join('/');
    configSpec = isAbsolute(rel) || rel.startsWith('../') ? rel : `./${rel}`;
  }

  const text = existsSync(configFile) ? readFileSync(configFile, 'utf8') : '';
  const doc = parseDocument(text);
  if (doc.errors.length) {
    throw new Error(`${configFile} is not valid YAML: ${doc.errors[0]!.message}`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new Error(`${configFile} must hold a mapping of config keys at the top level`);
  }
  const found = doc.get('plugins', true);
  // `plugins:` with nothing after it is an empty list.
  const listNode = isScalar(found) && found.value === null ? undefined : found;
  if (listNode !== undefined && !isSeq(listNode)) {
    throw new Error(`${configFile}: plugins must be a list to add an entry to it`);
  }

  const pkg = await installPackage(configSpec, { baseDir, integrity: options.integrity });
  if (!pkg) throw new Error(`${spec} could not be fetched`);
  const { manifest } = pkg;
  const problem = incompatibility(manifest);
  if (problem) {
    out(`${problem}.`);
    out(`Not added to ${options.config}.`);
    return 1;
  }
  const { installedPlugins } = await import('../plugins/index.ts');
  if (installedPlugins().some((p) => p.id === manifest.id)) {
    out(
      `Plugin ${manifest.id} (${manifest.name}@${manifest.version}) has the id of a built-in plugin; it cannot be loaded. Not added to ${options.config}.`,
    );
    return 1;
  }

  const entry: Record<string, unknown> = { package: configSpec };
  if (pkg.integrity) entry.integrity = pkg.integrity;
  const items = isSeq(listNode) ? [...(listNode.items as unknown[])] : [];
  const index = items.findIndex(
    (item) => isMap(item) && String((item as YAMLMap).get('package')) === configSpec,
  );
  if (index >= 0) {
    const existing = items[index] as YAMLMap;
    if (pkg.integrity) existing.set('integrity', pkg.integrity);
    else existing.delete('integrity');
  } else if (isSeq(listNode)) {
    listNode.add(doc.createNode(entry));
  } else {
    doc.set('plugins', doc.createNode([entry]));
  }
  writeFileSync(configFile, doc.toString());

  const position = index >= 0 ? index : items.length;
  out(`Installed plugin ${manifest.id} ${manifest.version} (${manifest.name})`);
  out(`  from       ${spec}`);
  out(`  into       ${relative(cwd, pkg.folder) || '.'}`);
  out(`  integrity  ${pkg.integrity ?? 'none (a folder is loaded as it is)'}`);
  out(`  plugin API ${manifest.apiVersion} (this Atrium provides ${PLUGIN_API_VERSION})`);
  out(
    `  parts      ${[manifest.backend && 'backend', manifest.web && 'web'].filter(Boolean).join(' + ')}`,
  );
  out(
    `${index >= 0 ? 'Updated' : 'Added'} plugins[${position}] in ${options.config}. Restart Atrium to load it.`,
  );
  if (manifest.configSchema) {
    const schema = relative(cwd, resolve(pkg.folder, manifest.configSchema));
    out(`It takes settings (schema: ${schema}): put them under config: in its entry.`);
    try {
      validatePluginConfig(
        { package: configSpec, enabled: true, baseDir, key: `plugins[${position}]` },
        pkg,
      );
    } catch (error) {
      out(`Until they are given, the start stops with:\n${(error as Error).message}`);
    }
  }
  return 0;
}

import type { Command } from 'commander';

// The `atrium plugin` command group. Each subcommand loads its module when it runs, as the
// other commands do (see main.ts), so `atrium plugin list` does not pay for the bundler.

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerPluginCommand(program: Command): Command {
  const plugin = program
    .command('plugin')
    .description('External plugins: install, list, create and build them');

  plugin
    .command('install')
    .description(
      'Fetch a plugin into ./plugins/ (beside the config file), check its manifest and plugin API version, and add it with its integrity to the config file (comments are kept)',
    )
    .argument(
      '<spec>',
      'a .tgz path, an https:// tarball URL, a folder (./path), or an npm spec (@acme/atrium-plugin-links@1.2.0)',
    )
    .option('-c, --config <file>', 'config file to add the entry to', 'app-config.yaml')
    .option('--integrity <sri>', 'refuse the tarball unless it matches this sha512-… hash')
    .action(async (spec: string, options: { config: string; integrity?: string }) => {
      const { pluginInstallCommand } = await import('./plugin-install.ts');
      process.exitCode = await pluginInstallCommand(spec, options);
    });

  plugin
    .command('list')
    .description(
      'Print the plugins the config loads, built-in and external: id, source, version, integrity and plugin API compatibility (nothing is fetched); exits 1 when one cannot load',
    )
    .option('-c, --config <file>', 'config file (repeatable; replaces the default list)', collect)
    .option('--json', 'print the list as JSON')
    .action(async (options: { config?: string[]; json?: boolean }) => {
      const { pluginListCommand } = await import('./plugin-list.ts');
      process.exitCode = await pluginListCommand(options);
    });

  plugin
    .command('new')
    .description(
      'Scaffold a plugin package: backend route, web entity card, a test, config schema, and a tsconfig pointing @atrium/plugin-api and @atrium/web-plugin-api at this Atrium',
    )
    .argument('<name>', 'the plugin id (lowercase letters, digits and -), e.g. links-oncall')
    .option('-d, --dir <folder>', 'where to create it (must be empty or absent)', undefined)
    .action(async (name: string, options: { dir?: string }) => {
      const { pluginNewCommand } = await import('./plugin-new.ts');
      process.exitCode = pluginNewCommand(name, options);
    });

  plugin
    .command('build')
    .description(
      "Bundle a plugin package with esbuild into dist/backend.mjs and dist/web.mjs (its npm dependencies inside, Atrium's shared modules left to the host) and stamp atrium.apiVersion in its package.json",
    )
    .argument('[dir]', 'the plugin package folder', '.')
    .action(async (dir: string) => {
      const { pluginBuildCommand } = await import('./plugin-build.ts');
      process.exitCode = await pluginBuildCommand(dir);
    });

  return plugin;
}

import { Command } from 'commander';
import { registerPluginCommand } from './plugin.ts';
import type { ScorecardCheckOptions } from './scorecard.ts';
import type { TemplateRunOptions } from './template.ts';

// Each command loads its module when it runs: `start` does not pay for the docs build or the
// template runner, nor the others for the server.

const program = new Command();
program.name('atrium').description('Atrium developer portal').version('0.1.0');

const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command('start')
  .description('Start the portal server (reads app-config.yaml, then app-config.local.yaml)')
  .option('-c, --config <file>', 'config file (repeatable; replaces the default list)', collect)
  .action(async (options: { config?: string[] }) => {
    const { startCommand } = await import('./start.ts');
    await startCommand(options);
  });

program
  .command('validate')
  .description(
    'Check catalog files without a server; prints file:line: field: message per problem. Files a glob matches that are not catalog files (API definitions, YAML without apiVersion and kind, template skeletons) are skipped and counted',
  )
  .argument('<files...>', 'files or globs (Location entities are followed; each file is read once)')
  .option('-c, --config <file>', 'config file for custom kinds and rules (repeatable)', collect)
  .option('--json', 'print problems as JSON')
  .option(
    '-x, --exclude <glob>',
    'leave out files or folders matching this glob, e.g. "examples/broken/**" (repeatable)',
    collect,
  )
  .action(
    async (files: string[], options: { config?: string[]; json?: boolean; exclude?: string[] }) => {
      const { validateCommand } = await import('./validate.ts');
      process.exitCode = await validateCommand(files, options);
    },
  );

program
  .command('import')
  .description('Register a location (path or URL) on a running server')
  .argument('<target>', 'file path or http(s) URL of a catalog file')
  .option(
    '-s, --server <url>',
    'server base URL',
    process.env.ATRIUM_URL ?? 'http://localhost:7007',
  )
  .option('--dry-run', 'show what would be imported without registering')
  .action(async (target: string, options: { server: string; dryRun?: boolean }) => {
    const { importCommand } = await import('./import.ts');
    process.exitCode = await importCommand(target, options);
  });

const docs = program
  .command('docs')
  .description('Build and publish TechDocs sites (mkdocs.yml + docs/)');

docs
  .command('build')
  .description('Build a docs folder into a site; prints file:line: message per problem')
  .argument('[dir]', 'folder holding mkdocs.yml and the docs folder', '.')
  .option('-o, --out <dir>', 'output folder (replaced)', 'site')
  .option('--site-name <name>', 'site name when there is no mkdocs.yml')
  .action(async (dir: string, options: { out: string; siteName?: string }) => {
    const { docsBuildCommand } = await import('./docs.ts');
    process.exitCode = await docsBuildCommand(dir, options);
  });

docs
  .command('publish')
  .description('Publish a built site into the configured docs storage')
  .requiredOption('--entity <namespace/kind/name>', 'entity the docs belong to')
  .option('-d, --directory <dir>', 'built site folder', 'site')
  .option('-c, --config <file>', 'config file (repeatable; replaces the default list)', collect)
  .action(async (options: { entity: string; directory: string; config?: string[] }) => {
    const { docsPublishCommand } = await import('./docs.ts');
    process.exitCode = await docsPublishCommand(options);
  });

const template = program.command('template').description('Software templates (scaffolder)');

template
  .command('run')
  .description(
    'Run a template on this machine without a server: prints each step and the output; catalog actions use a temporary catalog loaded from the config',
  )
  .argument('<template>', 'template.yaml (kind Template, scaffolder.backstage.io/v1beta3)')
  .option('--values <file>', 'YAML file with the form values (parameter defaults are filled in)')
  .option('--secrets <file>', 'YAML file with the task secrets')
  .option('--dry-run', 'skip actions that act outside the workspace (publish, register, wait)')
  .option('-o, --out <dir>', 'write the resulting workspace here (must be empty or absent)')
  .option('-c, --config <file>', 'config file (repeatable; replaces the default list)', collect)
  .action(async (file: string, options: TemplateRunOptions) => {
    const { templateRunCommand } = await import('./template.ts');
    process.exitCode = await templateRunCommand(file, options);
  });

const scorecard = program
  .command('scorecard')
  .description('Scorecards: maturity levels and checks');
scorecard
  .command('check')
  .description(
    "Score catalog files against scorecards without a server; prints each entity's level and its failing checks, exits 1 when an entity is below --min-level (or a catalog file has errors), 2 on a usage error",
  )
  .argument('<files...>', 'catalog files or globs (Location entities are followed)')
  .requiredOption(
    '--scorecard <file>',
    'file holding kind: Scorecard documents (repeatable)',
    collect,
  )
  .option('--min-level <level>', 'fail when a scored entity is below this level')
  .option('--facts <file>', 'YAML/JSON facts: { "<entity ref>" or "*": { ci.coverage: 81 } }')
  .option('-c, --config <file>', 'config file for custom kinds (repeatable)', collect)
  .option('--json', 'print the results as JSON')
  .action(async (files: string[], options: ScorecardCheckOptions) => {
    const { scorecardCheckCommand } = await import('./scorecard.ts');
    process.exitCode = await scorecardCheckCommand(files, options);
  });

const search = program.command('search').description('Search index commands');
search
  .command('reindex')
  .description('Rebuild the search index on a running server (every type, or those given)')
  .option(
    '-s, --server <url>',
    'server base URL',
    process.env.ATRIUM_URL ?? 'http://localhost:7007',
  )
  .option('-t, --type <type>', 'document type to rebuild (repeatable)', collect)
  .action(async (options: { server: string; type?: string[] }) => {
    const { searchReindexCommand } = await import('./search.ts');
    process.exitCode = await searchReindexCommand(options);
  });

const audit = program.command('audit').description('The audit log');
audit
  .command('export')
  .description(
    'Print audit events as JSON lines, oldest first, from a running server (token from ATRIUM_TOKEN; needs audit.event.read)',
  )
  .requiredOption(
    '--since <when>',
    'a date or time (2026-01-31, 2026-01-31T12:00:00Z), or a duration back from now (7d, 24h)',
  )
  .option('--until <when>', 'end (exclusive), same forms as --since; default: now')
  .option(
    '-s, --server <url>',
    'server base URL',
    process.env.ATRIUM_URL ?? 'http://localhost:7007',
  )
  .option('--action <action>', 'only this action, or a prefix ending in * (catalog.*)')
  .option('--actor <ref>', 'only events of this actor')
  .option('--resource <ref>', 'only events about this resource')
  .action(
    async (options: {
      since: string;
      until?: string;
      server: string;
      action?: string;
      actor?: string;
      resource?: string;
    }) => {
      const { auditExportCommand } = await import('./audit.ts');
      process.exitCode = await auditExportCommand({ ...options, resourceRef: options.resource });
    },
  );

registerPluginCommand(program);

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`atrium: ${error.message}\n`);
  process.exit(1);
});

import { Command } from 'commander';
import { startCommand } from './start.ts';
import { validateCommand } from './validate.ts';
import { importCommand } from './import.ts';

const program = new Command();
program.name('atrium').description('Atrium developer portal').version('0.1.0');

const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command('start')
  .description('Start the portal server (reads app-config.yaml, then app-config.local.yaml)')
  .option('-c, --config <file>', 'config file (repeatable; replaces the default list)', collect)
  .action(async (options: { config?: string[] }) => {
    await startCommand(options);
  });

program
  .command('validate')
  .description('Check catalog files without a server; prints file:line: field: message per problem')
  .argument('<files...>', 'files or globs (Location entities are followed)')
  .option('-c, --config <file>', 'config file for custom kinds and rules (repeatable)', collect)
  .option('--json', 'print problems as JSON')
  .action(async (files: string[], options: { config?: string[]; json?: boolean }) => {
    process.exitCode = await validateCommand(files, options);
  });

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
    process.exitCode = await importCommand(target, options);
  });

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`atrium: ${error.message}\n`);
  process.exit(1);
});

import { execFile } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Largest unpacked size accepted: a plugin is code and assets, not a data set. */
const MAX_UNPACKED_BYTES = 512 * 1024 * 1024;

/**
 * Unpacks an npm tarball (gzipped tar, one top folder, `package/` for `npm pack`'s) into the
 * empty folder `into` with the system's `tar` (the `tar` package is not a dependency), and
 * returns the package folder. The listing is checked first, so nothing lands outside `into`:
 * absolute names, `..` segments, links and device files are refused, as is more than
 * 512 MB unpacked. A second pass over what was written refuses any link that got through.
 */
export async function extractTarball(file: string, into: string): Promise<string> {
  const list = async (verbose: boolean) => {
    try {
      const { stdout } = await run('tar', [verbose ? '-tvzf' : '-tzf', file], {
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C' },
      });
      return stdout.split('\n').filter((line) => line !== '');
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(
        `${file} is not a readable .tgz (gzipped tar) file: ${(e.stderr || e.message).trim()}`,
      );
    }
  };
  const names = await list(false);
  const details = await list(true);
  if (!names.length) throw new Error(`${file} is an empty tarball`);
  if (names.length !== details.length) {
    throw new Error(`${file}: its entry names could not be listed unambiguously`);
  }
  const tops = new Set<string>();
  let total = 0;
  names.forEach((raw, i) => {
    const name = raw.replace(/^(\.\/)+/, '');
    const type = details[i]!.charAt(0);
    if (type !== '-' && type !== 'd') {
      throw new Error(
        `${file}: entry '${raw}' is a ${type === 'l' ? 'symbolic link' : type === 'h' ? 'hard link' : 'special file'}; plugin tarballs may hold only files and folders`,
      );
    }
    if (name.startsWith('/') || name.includes('\\') || name.split('/').includes('..')) {
      throw new Error(`${file}: entry '${raw}' would be written outside the package folder`);
    }
    total += Number(details[i]!.trim().split(/\s+/)[2]) || 0;
    const [top, ...rest] = name.split('/');
    if (top) tops.add(top);
    // A file at the top level: there is no package folder to load.
    if (top && type === '-' && !rest.length) tops.add(`${top} (a file)`);
  });
  if (total > MAX_UNPACKED_BYTES) {
    throw new Error(`${file} unpacks to ${Math.round(total / 1048576)} MB; at most 512 MB`);
  }
  const [top] = [...tops];
  if (tops.size !== 1 || !top) {
    throw new Error(
      `${file}: a package tarball holds one top folder (package/), this one has ${[...tops].join(', ')}`,
    );
  }
  try {
    await run('tar', ['-xzf', file, '-C', into, '--no-same-owner'], {
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${file} could not be unpacked: ${(e.stderr || e.message).trim()}`);
  }
  refuseLinks(into);
  return join(into, top);
}

function refuseLinks(folder: string): void {
  for (const entry of readdirSync(folder)) {
    const path = join(folder, entry);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) throw new Error(`${path} is a link; plugin packages hold no links`);
    if (stat.isDirectory()) refuseLinks(path);
  }
}

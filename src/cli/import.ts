import { resolve } from 'node:path';
import type { Problem } from '../model/entity.ts';
import { formatProblem } from './validate.ts';

/** "no entities", "1 entity", "2 entities". */
export function entityCount(n: number): string {
  return n === 0 ? 'no entities' : n === 1 ? '1 entity' : `${n} entities`;
}

async function call(server: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.replace(/\/$/, '')}/api/catalog${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  }).catch((error: Error & { cause?: { code?: string } }) => {
    throw new Error(
      `cannot reach ${server}: ${error.cause?.code ?? error.message} (is the server running? set --server)`,
    );
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw new Error(json?.error?.message ?? `HTTP ${response.status}`);
  return json;
}

/** Registers a location on a running server and reports what it read, with every problem. */
export async function importCommand(
  target: string,
  options: { server: string; dryRun?: boolean },
): Promise<number> {
  const type = /^https?:\/\//.test(target) ? 'url' : 'file';
  const absolute = type === 'file' ? resolve(target) : target;
  const spinner = ['|', '/', '-', '\\'];
  let i = 0;
  let tick = process.stderr.isTTY
    ? setInterval(() => process.stderr.write(`\r${spinner[i++ % 4]} reading ${absolute}`), 120)
    : undefined;
  // Clears the spinner's line too, so that what follows does not print over half of it.
  const stopSpinner = () => {
    if (!tick) return;
    clearInterval(tick);
    tick = undefined;
    process.stderr.write('\r\x1b[K');
  };
  try {
    const result = await call(
      options.server,
      'POST',
      `/locations${options.dryRun ? '?dryRun=true' : ''}`,
      { type, target: absolute },
    );
    stopSpinner();
    if (options.dryRun) {
      for (const e of result.entities)
        process.stdout.write(`${e.kind}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}\n`);
      return 0;
    }
    const status = await call(options.server, 'GET', `/locations/${result.location.id}/status`);
    // The server's count includes the Location entity it generates for the registration
    // itself; what the user wrote are the others, and invalid ones are not counted at all.
    const valid = Math.max(0, Number(status.entityCount) - 1);
    process.stdout.write(
      `Registered ${type}:${absolute} (location ${result.location.id}): ${entityCount(valid)}\n`,
    );
    for (const p of status.problems as Problem[]) process.stdout.write(`${formatProblem(p)}\n`);
    return (status.problems as Problem[]).some((p) => p.level === 'error') ? 1 : 0;
  } finally {
    stopSpinner();
  }
}

import { resolve } from 'node:path';
import type { Problem } from '../model/entity.ts';
import { formatProblem } from './validate.ts';

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
  const tick = process.stderr.isTTY
    ? setInterval(() => process.stderr.write(`\r${spinner[i++ % 4]} reading ${absolute}`), 120)
    : undefined;
  try {
    const result = await call(
      options.server,
      'POST',
      `/locations${options.dryRun ? '?dryRun=true' : ''}`,
      { type, target: absolute },
    );
    if (tick) process.stderr.write('\r');
    if (options.dryRun) {
      for (const e of result.entities)
        process.stdout.write(`${e.kind}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}\n`);
      return 0;
    }
    const status = await call(options.server, 'GET', `/locations/${result.location.id}/status`);
    process.stdout.write(
      `Registered ${type}:${absolute} (location ${result.location.id}): ${status.entityCount} entities\n`,
    );
    for (const p of status.problems as Problem[]) process.stdout.write(`${formatProblem(p)}\n`);
    return (status.problems as Problem[]).some((p) => p.level === 'error') ? 1 : 0;
  } finally {
    if (tick) clearInterval(tick);
  }
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurationError, loadConfig, parseDuration } from './index.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function intervalFor(yaml: string, env: Record<string, string> = {}) {
  const cwd = await mkdtemp(join(tmpdir(), 'atrium-config-'));
  dirs.push(cwd);
  await writeFile(join(cwd, 'app-config.yaml'), yaml);
  const loaded = await loadConfig({ cwd, env });
  return { intervalMs: loaded.config.catalog.refresh.intervalMs, warnings: loaded.warnings };
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    [90, 90 * S],
    [0.5, 500],
    ['120', 120 * S],
    ['PT5M', 5 * M],
    ['pt30s', 30 * S],
    ['P1DT2H', D + 2 * H],
    ['P1W', 7 * D],
    ['PT1.5S', 1500],
    ['P1Y', 365 * D],
    ['P1M', 30 * D],
    ['5m', 5 * M],
    ['30s', 30 * S],
    ['1h', H],
    ['1h30m', H + 30 * M],
    ['1h 30m', H + 30 * M],
    ['2 days', 2 * D],
    ['1.5 hours', 1.5 * H],
    ['500ms', 500],
    ['1w', 7 * D],
    [' 10 Minutes ', 10 * M],
    [{ minutes: 5 }, 5 * M],
    [{ hours: 1, minutes: 30, seconds: 15 }, H + 30 * M + 15 * S],
    [{ years: 1, months: 1, weeks: 1, days: 1, milliseconds: 1 }, 365 * D + 30 * D + 7 * D + D + 1],
    [{ seconds: '45' }, 45 * S],
    [false, null],
  ])('%j -> %j ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    [true, 'true is not a duration'],
    [-5, 'negative'],
    [0, 'longer than zero'],
    ['0s', 'longer than zero'],
    ['', 'empty'],
    ['P', 'ISO-8601'],
    ['PT', 'ISO-8601'],
    ['P1DT', 'ISO-8601'],
    ['5 parsecs', "unknown unit 'parsecs'"],
    ['soon', 'not a duration'],
    ['-5m', 'negative'],
    [{}, 'needs one or more of'],
    [{ minutes: 5, hourz: 1 }, "unknown property 'hourz'"],
    [{ minutes: 'five' }, "'minutes' must be a number"],
    [{ minutes: -1 }, 'negative'],
    [[5], 'list'],
    [null, 'not a duration'],
  ])('%j is refused (%s)', (input, message) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
    expect(() => parseDuration(input)).toThrow(message);
  });
});

describe('catalog.refresh.interval in config', () => {
  it('defaults to 120 seconds', async () => {
    expect((await intervalFor('{}\n')).intervalMs).toBe(120 * S);
  });

  it.each([
    ['300', 300 * S],
    ['PT5M', 5 * M],
    ['5m', 5 * M],
    ['30s', 30 * S],
    ['1h', H],
    ['{ minutes: 5 }', 5 * M],
    ['false', null],
  ])('interval: %s', async (value, expected) => {
    expect((await intervalFor(`catalog:\n  refresh:\n    interval: ${value}\n`)).intervalMs).toBe(
      expected,
    );
  });

  it("accepts Backstage's catalog.processingInterval, and prefers refresh.interval when both are set", async () => {
    expect((await intervalFor('catalog:\n  processingInterval: { minutes: 3 }\n')).intervalMs).toBe(
      3 * M,
    );
    expect((await intervalFor('catalog:\n  processingInterval: false\n')).intervalMs).toBeNull();
    const both = await intervalFor(
      'catalog:\n  processingInterval: { minutes: 3 }\n  refresh: { interval: 1m }\n',
    );
    expect(both.intervalMs).toBe(M);
    expect(both.warnings).toEqual([
      'catalog.processingInterval is ignored because catalog.refresh.interval is set in app-config.yaml',
    ]);
  });

  it('takes a duration from an environment variable', async () => {
    expect(
      (
        await intervalFor('catalog:\n  refresh:\n    interval: ${REFRESH:-10m}\n', {
          REFRESH: '45s',
        })
      ).intervalMs,
    ).toBe(45 * S);
    expect(
      (await intervalFor('{}\n', { APP_CONFIG_catalog_refresh_interval: '{"hours":2}' }))
        .intervalMs,
    ).toBe(2 * H);
  });

  it('names the key, the file and the reason for a bad duration', async () => {
    await expect(
      intervalFor('catalog:\n  refresh:\n    interval: { minutes: 5, hourz: 1 }\n'),
    ).rejects.toThrow(
      'Invalid config: catalog.refresh.interval must be a duration: a number of seconds, an ISO-8601 duration (PT5M), a string like 30s, 5m or 1h, an object like {minutes: 5}, or false to disable (got {"minutes":5,"hourz":1}: unknown property \'hourz\'; expected one or more of years, months, weeks, days, hours, minutes, seconds, milliseconds) in app-config.yaml',
    );
  });
});

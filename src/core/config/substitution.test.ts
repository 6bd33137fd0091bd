import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';
import { substitute } from './transform.ts';
import { cleanUpTempDirs, dirWith } from './temp-dirs.testkit.ts';

cleanUpTempDirs();

describe('substitute()', () => {
  const env = { HOST: 'example.com', PORT: ' 8080\n', EMPTY: '', NAME: 'x' };

  it('replaces every ${VAR} in a string, trimming values', () => {
    expect(substitute('https://${HOST}:${PORT}/api', env)).toBe('https://example.com:8080/api');
    expect(substitute('${ HOST }', env)).toBe('example.com');
    expect(substitute('no placeholders', env)).toBe('no placeholders');
  });

  it('uses ${VAR:-fallback} when VAR is unset or empty, else the value', () => {
    expect(substitute('${MISSING:-fallback value}', env)).toBe('fallback value');
    expect(substitute('${EMPTY:-fb}', env)).toBe('fb');
    expect(substitute('${HOST:-fb}', env)).toBe('example.com');
    expect(substitute('${MISSING:-}', env)).toBe('');
    expect(substitute('a-${MISSING:-b}-${NAME}', env)).toBe('a-b-x');
  });

  it('turns $${VAR} into the literal ${VAR}', () => {
    expect(substitute('$${HOST}', env)).toBe('${HOST}');
    expect(substitute('$${MISSING} and ${HOST}', env)).toBe('${MISSING} and example.com');
  });

  it('makes the whole value undefined when a referenced variable is unset', () => {
    expect(substitute('${MISSING}', env)).toBeUndefined();
    expect(substitute('token ${HOST} ${MISSING}', env)).toBeUndefined();
    expect(substitute('${EMPTY}', env)).toBe('');
  });
});

describe('loadConfig: substitution in files', () => {
  it('substitutes strings anywhere, coerces to the key type, and drops keys and array items with unset variables', async () => {
    const cwd = await dirWith({
      'app-config.yaml': `
app:
  title: \${TITLE}
  baseUrl: https://\${HOST}/portal
backend:
  listen:
    port: \${PORT:-7100}
    host: \${LISTEN_HOST}
catalog:
  readonly: \${READONLY}
  rules:
    - allow: [Component, '\${EXTRA_KIND}', '\${SECOND_KIND:-API}']
  locations:
    - type: url
      target: https://\${HOST}/a.yaml
    - type: file
      target: $\${NOT_A_VAR}.yaml
`,
    });
    const { config, warnings } = await loadConfig({
      cwd,
      env: { TITLE: 'My Portal', HOST: 'dev.example.com', READONLY: 'yes' },
    });
    expect(warnings).toEqual([]);
    expect(config.app).toEqual({ title: 'My Portal', baseUrl: 'https://dev.example.com/portal' });
    // PORT unset: the fallback, as a number; LISTEN_HOST unset: key dropped, default used.
    expect(config.backend.listen).toEqual({ port: 7100, host: '127.0.0.1' });
    expect(config.catalog.readonly).toBe(true);
    // EXTRA_KIND unset: that array element is removed.
    expect(config.catalog.rules?.[0]?.allow).toEqual(['Component', 'API']);
    expect(config.catalog.locations.map((l) => l.target)).toEqual([
      'https://dev.example.com/a.yaml',
      '${NOT_A_VAR}.yaml',
    ]);
  });

  it('drops the key inside an array item, not the item (as Backstage)', async () => {
    const cwd = await dirWith({
      'app-config.yaml':
        'catalog:\n  locations:\n    - type: url\n      target: https://${UNSET_HOST}/b.yaml\n',
    });
    await expect(loadConfig({ cwd, env: {} })).rejects.toThrow(
      'Invalid config: catalog.locations[0].target is missing; it must be a non-empty string in app-config.yaml',
    );
  });

  it('drops a required key whose variable is unset, so validation names it', async () => {
    const cwd = await dirWith({
      'app-config.yaml': 'backend:\n  database:\n    client: pg\n    connection: ${DATABASE_URL}\n',
    });
    await expect(loadConfig({ cwd, env: {} })).rejects.toThrow(
      'Invalid config: backend.database.connection is missing; it must be a PostgreSQL connection string',
    );
    const ok = await loadConfig({ cwd, env: { DATABASE_URL: 'postgres://db/atrium' } });
    expect(ok.config.backend.database).toEqual({
      client: 'pg',
      connection: 'postgres://db/atrium',
    });
  });
});

describe('loadConfig: $env, $file and $include', () => {
  it('reads $env, and drops the key when the variable is unset', async () => {
    const cwd = await dirWith({
      'app-config.yaml': 'app:\n  title: { $env: PORTAL_TITLE }\n  baseUrl: { $env: UNSET }\n',
    });
    const { config } = await loadConfig({ cwd, env: { PORTAL_TITLE: '  Env Title  ' } });
    expect(config.app.title).toBe('Env Title');
    expect(config.app.baseUrl).toBe('http://localhost:7007');
  });

  it('reads $file relative to the config file, trimming trailing whitespace only', async () => {
    const cwd = await dirWith({
      'conf/app-config.yaml': 'app:\n  title: { $file: ./secrets/title.txt }\n',
      'conf/secrets/title.txt': '  Filed Title \n\n',
    });
    const { config } = await loadConfig({ cwd, env: {}, configPaths: ['conf/app-config.yaml'] });
    expect(config.app.title).toBe('  Filed Title');
  });

  it('substitutes variables in include paths', async () => {
    const cwd = await dirWith({
      'app-config.yaml': 'app:\n  title: { $file: "titles/${STAGE}.txt" }\n',
      'titles/prod.txt': 'Production',
    });
    expect((await loadConfig({ cwd, env: { STAGE: 'prod' } })).config.app.title).toBe('Production');
  });

  it('includes YAML and JSON files, whole or a dotted sub-path, relative to the including file', async () => {
    const cwd = await dirWith({
      'conf/app-config.yaml': `
app: { $include: parts/app.yaml#portal.app }
backend: { $include: parts/backend.json }
catalog:
  locations: { $include: parts/locations.yml }
`,
      'conf/parts/app.yaml': 'portal:\n  app:\n    title: Included ${STAGE}\n',
      'conf/parts/backend.json': '{ "listen": { "port": 7300 } }',
      'conf/parts/locations.yml': '- { type: file, target: ../catalog/all.yaml }\n',
    });
    const { config } = await loadConfig({
      cwd,
      env: { STAGE: 'dev' },
      configPaths: ['conf/app-config.yaml'],
    });
    expect(config.app.title).toBe('Included dev');
    expect(config.backend.listen.port).toBe(7300);
    // A location written in an included file is relative to that file.
    expect(config.catalog.locations).toEqual([
      { type: 'file', target: '../catalog/all.yaml', baseDir: join(cwd, 'conf/parts') },
    ]);
  });

  it('names the included file when an included value is wrong', async () => {
    const cwd = await dirWith({
      'app-config.yaml': 'backend: { $include: backend.yaml }\n',
      'backend.yaml': 'listen: { port: abc }\n',
    });
    await expect(loadConfig({ cwd, env: {} })).rejects.toThrow(
      'Invalid config: backend.listen.port must be an integer between 0 and 65535 (got "abc") in backend.yaml ($include in app-config.yaml)',
    );
  });

  it('reports include failures with the key and file', async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { 'app-config.yaml': 'app: { title: { $file: missing.txt } }\n' },
        'app.title: $file could not read missing.txt: file not found in app-config.yaml',
      ],
      [
        { 'app-config.yaml': 'app: { title: { $file: a.txt, other: 1 } }\n' },
        'app.title: include key $file should not have adjacent keys',
      ],
      [
        { 'app-config.yaml': 'app: { $include: x.txt }\n' },
        '$include supports .json, .yaml and .yml files',
      ],
      [
        { 'app-config.yaml': 'app: { $include: "a.yaml#x.y" }\n', 'a.yaml': 'x: { z: 1 }\n' },
        "key 'x.y' not found in a.yaml",
      ],
      [
        {
          'app-config.yaml': 'app: { $include: a.yaml }\n',
          'a.yaml': 'b: { $include: app-config.yaml }\n',
        },
        'loops back to itself',
      ],
      [
        { 'app-config.yaml': 'app: { $include: bad.json }\n', 'bad.json': '{ nope' },
        'bad.json is not valid JSON',
      ],
    ];
    for (const [files, message] of cases) {
      const cwd = await dirWith(files);
      const err = await loadConfig({ cwd, env: {} }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, message).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(message);
    }
  });
});

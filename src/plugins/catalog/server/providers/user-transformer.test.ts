import { describe, expect, it } from 'vitest';
import { createKindRegistry, validateEntity } from '../../../../model/index.ts';
import { Provenance } from '../../../../core/config/provenance.ts';
import type { ConfigProblem } from '../../../../core/config/errors.ts';
import {
  normalizeUserTransformer,
  renderTemplate,
  renderUserEntity,
  type UserTransformerConfig,
} from './user-transformer.ts';
import { TEMPLATE_PATTERN } from '../../../../core/config/user-transformer.ts';

const GITHUB_DEFAULTS: UserTransformerConfig = {
  name: '{login}',
  displayName: '{name}',
  email: '{email}',
  picture: '{avatarUrl}',
  description: '{bio}',
  annotations: { 'github.com/user-login': '{login}' },
};

const alice = {
  login: 'Alice-W',
  name: 'Alice Walker',
  email: 'Alice.Walker@Example.com',
  avatarUrl: 'https://avatars.example.com/alice',
  bio: 'Writes things',
  company: null,
};

describe('renderTemplate', () => {
  it('fills placeholders and applies filters in order', () => {
    expect(renderTemplate('{login|lower}', alice)).toBe('alice-w');
    expect(renderTemplate('{email|localpart}', alice)).toBe('Alice.Walker');
    expect(renderTemplate('{email|localpart|lower}', alice)).toBe('alice.walker');
    expect(renderTemplate('{name|upper}', alice)).toBe('ALICE WALKER');
    expect(renderTemplate('u-{login}-{company}', alice)).toBe('u-Alice-W-');
    expect(renderTemplate('{{literal}} {login}', alice)).toBe('{literal} Alice-W');
  });

  it('refuses unknown filters and broken braces, saying which', () => {
    expect(() => renderTemplate('{login|shout}', alice)).toThrow(/unknown filter 'shout'/);
    expect(() => renderTemplate('{login', alice)).toThrow(/not closed/);
    expect(() => renderTemplate('login}', alice)).toThrow(/lone '}'/);
    expect(() => renderTemplate('{}', alice)).toThrow(/does not name a field/);
  });

  it('agrees with the config schema pattern on what a template is', () => {
    const pattern = new RegExp(TEMPLATE_PATTERN);
    for (const ok of ['{login}', 'x-{email|localpart|lower}', '{{x}}', 'plain'])
      expect(pattern.test(ok)).toBe(true);
    for (const bad of ['{login|shout}', '{login', '}', '{a b}'])
      expect(pattern.test(bad)).toBe(false);
  });
});

describe('renderUserEntity', () => {
  const registry = createKindRegistry([]);

  it('maps with the defaults alone as Backstage does, producing a valid User', () => {
    const { entity, error } = renderUserEntity(alice, undefined, GITHUB_DEFAULTS);
    expect(error).toBeUndefined();
    expect(entity).toEqual({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: {
        name: 'Alice-W',
        description: 'Writes things',
        annotations: { 'github.com/user-login': 'Alice-W' },
      },
      spec: {
        profile: {
          displayName: 'Alice Walker',
          email: 'Alice.Walker@Example.com',
          picture: 'https://avatars.example.com/alice',
        },
        memberOf: [],
      },
    });
    expect(validateEntity(entity, registry).problems).toEqual([]);
  });

  it('overrides key by key, merges annotations and drops empty values', () => {
    const { entity } = renderUserEntity(
      { ...alice, bio: '' },
      {
        name: '{email|localpart|lower}',
        displayName: '{name} ({login})',
        annotations: {
          'example.com/handle': '{login|lower}',
          'example.com/company': '{company}',
        },
      },
      GITHUB_DEFAULTS,
    );
    expect(entity?.metadata).toEqual({
      name: 'alice.walker',
      annotations: { 'github.com/user-login': 'Alice-W', 'example.com/handle': 'alice-w' },
    });
    expect(entity?.spec?.profile).toEqual({
      displayName: 'Alice Walker (Alice-W)',
      email: 'Alice.Walker@Example.com',
      picture: 'https://avatars.example.com/alice',
    });
  });

  it('lets a transformer remove a default annotation by an empty template', () => {
    const { entity } = renderUserEntity(
      alice,
      { annotations: { 'github.com/user-login': '' } },
      GITHUB_DEFAULTS,
    );
    expect(entity?.metadata.annotations).toBeUndefined();
  });

  it('skips a user whose name renders empty, naming the user and the key', () => {
    const result = renderUserEntity(
      { login: 'bob', email: null },
      { name: '{email|localpart}' },
      GITHUB_DEFAULTS,
    );
    expect(result.entity).toBeUndefined();
    expect(result.error).toBe(
      "User bob: userTransformer.name '{email|localpart}' renders empty; the user is skipped",
    );
  });

  it('skips a user whose name is not a valid entity name', () => {
    const result = renderUserEntity(alice, { name: '{name}' }, GITHUB_DEFAULTS);
    expect(result.entity).toBeUndefined();
    expect(result.error).toMatch(
      /^User Alice-W: userTransformer\.name '\{name\}' renders 'Alice Walker', which is not a valid entity name/,
    );
    const long = renderUserEntity({ login: 'x'.repeat(64) }, undefined, GITHUB_DEFAULTS);
    expect(long.error).toMatch(/not a valid entity name/);
  });

  it('reports a broken template as an error on the key, not an exception', () => {
    const result = renderUserEntity(alice, { displayName: '{name|shout}' }, GITHUB_DEFAULTS);
    expect(result.error).toMatch(/^User Alice-W: userTransformer\.displayName '\{name\|shout\}'/);
  });

  it('works over GitLab profile fields', () => {
    const { entity } = renderUserEntity(
      { username: 'carol', name: 'Carol', public_email: 'carol@example.org', avatar_url: null },
      undefined,
      {
        name: '{username}',
        displayName: '{name}',
        email: '{public_email}',
        picture: '{avatar_url}',
      },
    );
    expect(entity?.metadata.name).toBe('carol');
    expect(entity?.spec?.profile).toEqual({ displayName: 'Carol', email: 'carol@example.org' });
  });
});

describe('normalizeUserTransformer', () => {
  const fields = ['login', 'name', 'email', 'avatarUrl', 'bio', 'company', 'location'];

  it('keeps the templates and reports fields the provider lacks and bad annotation keys', () => {
    const problems: ConfigProblem[] = [];
    const out = normalizeUserTransformer(
      {
        name: '{username}',
        email: '{email|lower}',
        annotations: { 'not a key': '{login}', 'example.com/x': '{login}' },
      },
      ['catalog', 'providers', 'githubOrg', 'userTransformer'],
      fields,
      { provenance: new Provenance((f) => f), problems },
    );
    expect(out).toEqual({
      name: '{username}',
      email: '{email|lower}',
      annotations: { 'not a key': '{login}', 'example.com/x': '{login}' },
    });
    expect(problems.map((p) => p.message)).toEqual([
      'catalog.providers.githubOrg.userTransformer.name uses {username}, which is not a profile field of this provider; it has login, name, email, avatarUrl, bio, company, location',
      expect.stringMatching(
        /^catalog\.providers\.githubOrg\.userTransformer\.annotations\.not a key is not a valid annotation key/,
      ),
    ]);
  });
});

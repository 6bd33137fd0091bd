import { describe, expect, it } from 'vitest';
import {
  type ActionContext,
  type ActionDefinition,
  type Decision,
  defineAction,
  permissionDenied,
} from '../../../core/plugin-api.ts';
import { ToolRegistry } from './tool-registry.ts';

const READ = { name: 'thing.read', attributes: { action: 'read' as const } };
const DELETE = { name: 'thing.delete', attributes: { action: 'delete' as const } };

function action(overrides: Partial<ActionDefinition> = {}): ActionDefinition {
  return defineAction<{ name: string; limit: number }, { echoed: unknown }>({
    id: 'echo-thing',
    title: 'Echo a thing',
    description: 'Answers its input',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1 },
        limit: { type: 'integer', maximum: 10, default: 5 },
      },
      required: ['name'],
      additionalProperties: false,
    },
    outputSchema: { type: 'object', properties: { echoed: {} }, required: ['echoed'] },
    permission: READ,
    hints: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    destructive: false,
    handler: async (input) => ({ echoed: input }),
    ...(overrides as object),
  });
}

/** A caller the policy answers with `decisions` (ALLOW for anything not listed). */
function caller(decisions: Record<string, Decision['result']> = {}): ActionContext {
  const decide = async (p: { name: string }): Promise<Decision> => {
    const result = decisions[p.name] ?? 'ALLOW';
    if (result === 'DENY') return { result, reason: { message: 'no rule gives it to you' } };
    if (result === 'CONDITIONAL') {
      return {
        result,
        resourceType: 'thing',
        conditions: { rule: 'IS_MINE', resourceType: 'thing', params: {} },
        reason: { message: 'only yours' },
      };
    }
    return { result };
  };
  return {
    identity: {
      userEntityRef: 'user:default/ann',
      ownershipEntityRefs: ['user:default/ann'],
      isGuest: false,
      credential: 'personal-token',
    },
    decide,
    async require(p) {
      const decision = await decide(p);
      if (decision.result === 'DENY') throw permissionDenied(p.name, decision.reason);
    },
    audit: () => {},
    signal: new AbortController().signal,
  };
}

const registry = (actions: ActionDefinition[], destructiveTools = false) =>
  new ToolRegistry(actions, { destructiveTools: () => destructiveTools });

describe('ToolRegistry', () => {
  it('refuses malformed actions at start, naming them', () => {
    expect(() => registry([action(), action()])).toThrow(
      "Two plugins contribute action 'echo-thing'",
    );
    expect(() => registry([action({ id: 'Echo Thing' })])).toThrow(
      "Action id 'Echo Thing' is invalid",
    );
    expect(() =>
      registry([
        action({ outputSchema: { type: 'array' } as unknown as ActionDefinition['outputSchema'] }),
      ]),
    ).toThrow("Action 'echo-thing': outputSchema must be a JSON Schema of type 'object'");
    expect(() =>
      registry([action({ inputSchema: { type: 'object', properties: { n: { type: 'nope' } } } })]),
    ).toThrow(/^Action 'echo-thing' has an invalid schema: /);
    expect(() => registry([action({ destructive: true })])).toThrow(
      "Action 'echo-thing' is destructive: its hints must say destructive and not read-only",
    );
  });

  it('offers what the caller is not denied, and destructive actions only when enabled', async () => {
    const remove = action({
      id: 'remove-thing',
      permission: DELETE,
      destructive: true,
      hints: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    });
    const gated = action({ id: 'gated-thing', permission: null, alsoRequires: [DELETE] });
    const ids = async (r: ToolRegistry, ctx: ActionContext) =>
      (await r.offered(ctx)).map((a) => a.id);
    expect(await ids(registry([action(), remove, gated]), caller())).toEqual([
      'echo-thing',
      'gated-thing',
    ]);
    expect(await ids(registry([action(), remove, gated], true), caller())).toEqual([
      'echo-thing',
      'remove-thing',
      'gated-thing',
    ]);
    expect(
      await ids(registry([action(), remove, gated], true), caller({ 'thing.delete': 'DENY' })),
    ).toEqual(['echo-thing']);
    // A conditional answer is no denial: the handler filters.
    expect(await ids(registry([action()]), caller({ 'thing.read': 'CONDITIONAL' }))).toEqual([
      'echo-thing',
    ]);
  });

  it('runs an action: permission first, then the input with the field named, then the handler', async () => {
    const r = registry([action()]);
    expect(await r.call('echo-thing', { name: 'x' }, caller())).toEqual({
      echoed: { name: 'x', limit: 5 },
    });
    await expect(r.call('echo-thing', { name: 'x', limit: 11 }, caller())).rejects.toThrow(
      'Invalid arguments for tool echo-thing: arguments.limit must be <= 10',
    );
    await expect(r.call('echo-thing', { limit: 'x' }, caller())).rejects.toThrow(
      'Invalid arguments for tool echo-thing: arguments.name is required; arguments.limit must be integer',
    );
    // A caller without the right learns nothing from validation.
    await expect(
      r.call('echo-thing', { limit: 'x' }, caller({ 'thing.read': 'DENY' })),
    ).rejects.toThrow('You need thing.read: no rule gives it to you');
    await expect(r.call('nothing', {}, caller())).rejects.toThrow("Unknown tool 'nothing'");
  });
});

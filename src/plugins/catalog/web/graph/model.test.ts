import { describe, expect, it } from 'vitest';
import { defaultSettings, groupsWith, readSettings, relationsOf, writeSettings } from './model.ts';

const read = (query: string, kind: string) => readSettings(new URLSearchParams(query), kind);

describe('graph settings', () => {
  it('open each kind with its own relations and depth', () => {
    const service = defaultSettings('Component');
    expect(groupsWith(service, 'deep')).toEqual(['apis', 'dependencies']);
    expect(groupsWith(service, 'near')).toEqual(['ownership', 'partof']);
    expect(service.depth).toBe(2);
    const group = defaultSettings('Group');
    expect(groupsWith(group, 'deep')).toEqual(['hierarchy']);
    expect(groupsWith(group, 'near')).toEqual(['ownership', 'membership']);
    // A group's members are followed from the group only, never from the groups around it.
    expect(relationsOf(groupsWith(group, 'deep'))).not.toContain('hasMember');
    expect(groupsWith(defaultSettings('User'), 'deep')).toEqual([]);
    expect(defaultSettings('System').depth).toBe(1);
    // A kind without defaults of its own follows everything one step.
    expect(groupsWith(defaultSettings('Pipeline'), 'deep')).toHaveLength(6);
  });

  it('leave the kind defaults out of the URL and read them back', () => {
    expect(writeSettings(defaultSettings('Component'), 'Component').toString()).toBe('');
    expect(read('', 'Component')).toEqual(defaultSettings('Component'));
    const changed = {
      ...defaultSettings('Component'),
      reach: { ...defaultSettings('Component').reach, apis: 'off' as const },
      depth: 3,
      rollup: 'system' as const,
    };
    const query = writeSettings(changed, 'Component');
    expect(decodeURIComponent(query.toString())).toBe(
      'rel=dependencies&near=ownership,partof&depth=3&rollup=system',
    );
    expect(read(query.toString(), 'Component')).toEqual(changed);
  });

  it('take invalid values as the defaults, and an empty choice as none', () => {
    const s = read('depth=9&rollup=planet&direction=sideways&limit=x&rel=bogus', 'API');
    expect(s.depth).toBe(2);
    expect(s.rollup).toBe('none');
    expect(s.direction).toBe('both');
    expect(s.limit).toBe(300);
    expect(groupsWith(s, 'deep')).toEqual([]);
    expect(groupsWith(s, 'near')).toEqual([]);
  });
});

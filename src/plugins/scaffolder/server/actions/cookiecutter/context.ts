import type { JsonObject, JsonValue } from '../../../../../model/entity.ts';

/** Renders one template string against the variables so far (`{{ cookiecutter.x }}`). */
export type RenderVariable = (text: string, variables: JsonObject, name: string) => Promise<string>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The variables a cookiecutter template sees, as `cookiecutter --no-input` builds them from
 * `cookiecutter.json` merged with the given values (Backstage writes `{...json, ...values}`
 * into the template's cookiecutter.json): in file order, each string rendered against the
 * variables before it (`"slug": "{{ cookiecutter.name|lower }}"`), a list is a choice whose
 * first item is taken, a dictionary is rendered item by item, and `_private` keys are kept
 * as written (`__private` ones are rendered).
 */
export async function cookiecutterVariables(
  defaults: JsonObject,
  values: JsonObject,
  render: RenderVariable,
): Promise<JsonObject> {
  const merged: JsonObject = { ...defaults, ...values };
  const variables: JsonObject = {};
  const renderValue = async (value: JsonValue, name: string): Promise<JsonValue> => {
    if (typeof value === 'string') return render(value, variables, name);
    if (Array.isArray(value)) return value.length ? renderValue(value[0]!, `${name}[0]`) : null;
    if (isObject(value)) {
      const out: JsonObject = {};
      for (const [key, item] of Object.entries(value)) {
        const renderedKey = await render(key, variables, `${name} (key ${key})`);
        if (item !== undefined) out[renderedKey] = await renderDict(item, `${name}.${key}`);
      }
      return out;
    }
    return value;
  };
  // Inside a dictionary variable, lists stay lists (only top-level lists are choices).
  const renderDict = async (value: JsonValue, name: string): Promise<JsonValue> => {
    if (Array.isArray(value)) {
      return Promise.all(value.map((item, i) => renderDict(item, `${name}[${i}]`)));
    }
    return renderValue(value, name);
  };
  for (const [key, value] of Object.entries(merged)) {
    if (value === undefined) continue;
    variables[key] =
      key.startsWith('_') && !key.startsWith('__') ? value : await renderValue(value, key);
  }
  return variables;
}

/**
 * Python's `fnmatch.fnmatch` on POSIX (what cookiecutter matches `_copy_without_render`
 * with): `*` also crosses `/`, `?` one character, `[seq]` and `[!seq]`; case-sensitive.
 */
export function fnmatchPattern(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        re += '\\[';
      } else {
        let set = pattern
          .slice(i + 1, j)
          .replace(/\\/g, '\\\\')
          .replace(/]/g, '\\]');
        i = j;
        if (set.startsWith('!')) set = `^${set.slice(1)}`;
        else if (set.startsWith('^')) set = `\\${set}`;
        re += `[${set}]`;
      }
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`, 's');
}

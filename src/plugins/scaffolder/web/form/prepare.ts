/**
 * Turns a template's parameter page (JSON Schema with Backstage's `ui:*` keys inline) into
 * what rjsf takes: a clean schema and a separate uiSchema. Pure; no React.
 */
import type { JsonObject, JsonValue } from '../../../../model/entity.ts';

export interface PreparedPage {
  title: string;
  description?: string;
  /** JSON Schema without `ui:*` keys and without a page-level template `if`. */
  schema: JsonObject;
  uiSchema: JsonObject;
  /** The page's `if` (`${{ parameters.x }}`): the page is shown only when it is truthy. */
  condition?: string | boolean;
  /** Top-level fields of this page whose value goes to `secrets`. */
  secretFields: string[];
  /** Top-level property names of this page, in schema order. */
  fields: string[];
}

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Template text is shown as text: rjsf would render these as Markdown when asked, so the
 * switches are dropped wherever a template sets them.
 */
const MARKDOWN_SWITCHES = ['enableMarkdownInDescription', 'enableMarkdownInHelp'];

function moveUiKeys(schema: JsonObject, uiSchema: JsonObject): void {
  for (const key of Object.keys(schema)) {
    if (!key.startsWith('ui:')) continue;
    const value = schema[key];
    delete schema[key];
    if (MARKDOWN_SWITCHES.includes(key.slice(3))) continue;
    if (key === 'ui:options' && isObject(value)) {
      const options = { ...value };
      for (const s of MARKDOWN_SWITCHES) delete options[s];
      uiSchema[key] = { ...(isObject(uiSchema[key]) ? uiSchema[key] : {}), ...options };
    } else {
      uiSchema[key] = value as JsonValue;
    }
  }
}

/** Moves `ui:*` keys out of `schema` (mutated) into `uiSchema`, following rjsf's layout. */
export function extractUiSchema(schema: JsonValue | undefined, uiSchema: JsonObject): void {
  if (!isObject(schema)) return;
  moveUiKeys(schema, uiSchema);
  if (isObject(schema.properties)) {
    for (const [name, node] of Object.entries(schema.properties)) {
      if (!isObject(node)) continue;
      const inner = isObject(uiSchema[name]) ? (uiSchema[name] as JsonObject) : {};
      uiSchema[name] = inner;
      extractUiSchema(node, inner);
    }
  }
  if (isObject(schema.items)) {
    const inner = isObject(uiSchema.items) ? (uiSchema.items as JsonObject) : {};
    uiSchema.items = inner;
    extractUiSchema(schema.items, inner);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) for (const node of list) extractUiSchema(node, uiSchema);
  }
  for (const key of ['if', 'then', 'else'] as const) extractUiSchema(schema[key], uiSchema);
  if (isObject(schema.dependencies)) {
    for (const node of Object.values(schema.dependencies)) extractUiSchema(node, uiSchema);
  }
}

/** Names of the properties a schema declares at its top level, including conditional ones. */
export function topLevelFields(schema: JsonObject): string[] {
  const names = new Set<string>();
  const visit = (node: JsonValue | undefined) => {
    if (!isObject(node)) return;
    if (isObject(node.properties)) for (const name of Object.keys(node.properties)) names.add(name);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const list = node[key];
      if (Array.isArray(list)) list.forEach(visit);
    }
    for (const key of ['then', 'else'] as const) visit(node[key]);
    if (isObject(node.dependencies)) Object.values(node.dependencies).forEach(visit);
  };
  visit(schema);
  return [...names];
}

/** Property names declared in a template's `spec.secrets.schema`. */
export function secretNamesOf(template: JsonObject | undefined): string[] {
  const spec = isObject(template?.spec) ? template.spec : undefined;
  const secrets = isObject(spec?.secrets) ? spec.secrets : undefined;
  const schema = isObject(secrets?.schema) ? secrets.schema : undefined;
  const names = new Set<string>();
  if (isObject(schema?.properties))
    for (const name of Object.keys(schema.properties)) names.add(name);
  if (Array.isArray(schema?.required)) {
    for (const name of schema.required) if (typeof name === 'string') names.add(name);
  }
  return [...names];
}

function isSecretUi(ui: JsonValue | undefined): boolean {
  if (!isObject(ui)) return false;
  const options = isObject(ui['ui:options']) ? ui['ui:options'] : {};
  return ui['ui:widget'] === 'password' || options.widget === 'password';
}

/** One page of `spec.parameters` (or of a parameter-schema answer) made ready for rjsf. */
export function preparePage(
  page: { title?: string; description?: string; schema: JsonObject },
  secretNames: string[] = [],
): PreparedPage {
  const schema = structuredClone(page.schema);
  let condition: string | boolean | undefined;
  // A template `if` on a page is a condition on earlier answers, not JSON Schema's `if`.
  if (typeof schema.if === 'string' || typeof schema.if === 'boolean') {
    condition = schema.if;
    delete schema.if;
  }
  delete schema['backstage:permissions'];
  const uiSchema: JsonObject = {};
  extractUiSchema(schema, uiSchema);
  // The page's title and description are shown by the stepper, not again inside the form.
  const title =
    page.title ??
    (typeof schema.title === 'string' ? schema.title : 'Please enter the following information');
  const description =
    page.description ?? (typeof schema.description === 'string' ? schema.description : undefined);
  delete schema.title;
  delete schema.description;
  if (schema.type === undefined) schema.type = 'object';
  const fields = topLevelFields(schema);
  // Backstage's `Secret` field is a masked input: rjsf's password widget.
  for (const field of fields) {
    const ui = uiSchema[field];
    if (isObject(ui) && ui['ui:field'] === 'Secret') {
      delete ui['ui:field'];
      ui['ui:widget'] = 'password';
    }
  }
  const secretFields = fields.filter((f) => secretNames.includes(f) || isSecretUi(uiSchema[f]));
  return { title, description, schema, uiSchema, condition, secretFields, fields };
}

/** The pages of a Template entity's `spec.parameters` (one object or a list of them). */
export function pagesOfTemplate(template: JsonObject): Array<{
  title?: string;
  description?: string;
  schema: JsonObject;
}> {
  const spec = isObject(template.spec) ? template.spec : {};
  const parameters = spec.parameters;
  const list = Array.isArray(parameters) ? parameters : isObject(parameters) ? [parameters] : [];
  return list.filter(isObject).map((schema) => ({
    title: typeof schema.title === 'string' ? schema.title : undefined,
    description: typeof schema.description === 'string' ? schema.description : undefined,
    schema,
  }));
}

/**
 * Splits form data into the request's `values` and `secrets`. A secret keeps its place in
 * `values` as asterisks of the same length, so `required` and length rules still hold there,
 * while the value itself travels only in `secrets`.
 */
export function splitSecrets(
  formData: JsonObject,
  secretFields: string[],
): { values: JsonObject; secrets: Record<string, string> } {
  const values: JsonObject = { ...formData };
  const secrets: Record<string, string> = {};
  for (const name of secretFields) {
    const value = formData[name];
    if (value === undefined || value === null) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    secrets[name] = text;
    values[name] = '*'.repeat(text.length);
  }
  return { values, secrets };
}

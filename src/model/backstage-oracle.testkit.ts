/**
 * Test-only: Backstage's own verdict on an entity, from `@backstage/catalog-model` (a dev
 * dependency). Never import this from runtime code.
 *
 * The chain is the default catalog's: SchemaValid → DefaultNamespace → NoForeignRootFields →
 * FieldFormat policies, then the built-in kind validators (BuiltinKindsEntityProcessor), then
 * the processor's ref parsing (a ref field that does not parse fails the entity). The ref
 * field table below is typed in from COMPAT.md §3.2, independently of `builtin-kinds.ts`.
 */
import {
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  DefaultNamespaceEntityPolicy,
  domainEntityV1alpha1Validator,
  type Entity as BackstageEntity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  makeValidator,
  NoForeignRootFieldsEntityPolicy,
  parseEntityRef,
  resourceEntityV1alpha1Validator,
  SchemaValidEntityPolicy,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';

/** kind → [spec field, default kind (undefined = kind required)] per COMPAT.md §3.2. */
export const COMPAT_REF_FIELDS: Record<string, Array<[string, string | undefined]>> = {
  Component: [
    ['owner', 'Group'],
    ['subcomponentOf', 'Component'],
    ['providesApis', 'API'],
    ['consumesApis', 'API'],
    ['dependsOn', undefined],
    ['dependencyOf', undefined],
    ['system', 'System'],
  ],
  API: [
    ['owner', 'Group'],
    ['system', 'System'],
  ],
  Resource: [
    ['owner', 'Group'],
    ['dependsOn', undefined],
    ['dependencyOf', undefined],
    ['system', 'System'],
  ],
  System: [
    ['owner', 'Group'],
    ['domain', 'Domain'],
  ],
  Domain: [
    ['owner', 'Group'],
    ['subdomainOf', 'Domain'],
  ],
  User: [['memberOf', 'Group']],
  Group: [
    ['parent', 'Group'],
    ['children', 'Group'],
    ['members', 'User'],
  ],
  Template: [['owner', 'Group']],
  Location: [],
};

const policy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(makeValidator()),
]);

const kindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
];

export interface BackstageVerdict {
  ok: boolean;
  /** Which stage refused it and why (for test failure messages). */
  error?: string;
}

/** Backstage's verdict on one raw document (catalog-model kinds only, not Template). */
export async function backstageVerdict(raw: unknown): Promise<BackstageVerdict> {
  let entity: BackstageEntity | undefined;
  try {
    entity = await policy.enforce(structuredClone(raw) as BackstageEntity);
  } catch (error) {
    return { ok: false, error: `policy: ${(error as Error).message}` };
  }
  if (!entity) return { ok: false, error: 'policy: no result' };
  let recognized = false;
  for (const validator of kindValidators) {
    try {
      if (await validator.check(entity)) {
        recognized = true;
        break;
      }
    } catch (error) {
      return { ok: false, error: `kind validator: ${(error as Error).message}` };
    }
  }
  if (!recognized) return { ok: false, error: 'No processor recognized the entity' };
  const spec = (entity.spec ?? {}) as Record<string, unknown>;
  for (const [field, defaultKind] of COMPAT_REF_FIELDS[entity.kind] ?? []) {
    const value = spec[field];
    if (!value) continue;
    for (const ref of [value].flat()) {
      try {
        parseEntityRef(ref as string, {
          defaultKind,
          defaultNamespace: entity.metadata.namespace,
        });
      } catch (error) {
        return { ok: false, error: `processor: ${(error as Error).message}` };
      }
    }
  }
  return { ok: true };
}

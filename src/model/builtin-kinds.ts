/**
 * The nine kinds a default Backstage install accepts (COMPAT.md §2, §3.2), described as
 * {@link KindDefinition}s so that they validate and relate exactly like custom kinds.
 */
import type { JsonObject } from './entity.ts';
import type { KindDefinition, RefField } from './kind-definition.ts';

export const RELATION_OWNED_BY = 'ownedBy';
export const RELATION_OWNER_OF = 'ownerOf';
export const RELATION_CONSUMES_API = 'consumesApi';
export const RELATION_API_CONSUMED_BY = 'apiConsumedBy';
export const RELATION_PROVIDES_API = 'providesApi';
export const RELATION_API_PROVIDED_BY = 'apiProvidedBy';
export const RELATION_DEPENDS_ON = 'dependsOn';
export const RELATION_DEPENDENCY_OF = 'dependencyOf';
export const RELATION_PARENT_OF = 'parentOf';
export const RELATION_CHILD_OF = 'childOf';
export const RELATION_MEMBER_OF = 'memberOf';
export const RELATION_HAS_MEMBER = 'hasMember';
export const RELATION_PART_OF = 'partOf';
export const RELATION_HAS_PART = 'hasPart';

/** Every well-known relation type, each next to its reverse. */
export const RELATION_TYPES: readonly string[] = [
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
  RELATION_CONSUMES_API,
  RELATION_API_CONSUMED_BY,
  RELATION_PROVIDES_API,
  RELATION_API_PROVIDED_BY,
  RELATION_DEPENDS_ON,
  RELATION_DEPENDENCY_OF,
  RELATION_PARENT_OF,
  RELATION_CHILD_OF,
  RELATION_MEMBER_OF,
  RELATION_HAS_MEMBER,
  RELATION_PART_OF,
  RELATION_HAS_PART,
];

/** apiVersions of the eight catalog kinds (Template has its own). */
export const BACKSTAGE_API_VERSIONS: readonly string[] = [
  'backstage.io/v1alpha1',
  'backstage.io/v1beta1',
];
export const TEMPLATE_API_VERSION = 'scaffolder.backstage.io/v1beta3';

// ---------------------------------------------------------------------------------------
// Schema building blocks. Every built-in spec string is `type: string, minLength: 1` and no
// spec schema forbids extra keys.

function str(description: string): JsonObject {
  return { type: 'string', minLength: 1, description };
}

function strArray(description: string): JsonObject {
  return { type: 'array', items: { type: 'string', minLength: 1 }, description };
}

function specSchema(required: string[], properties: Record<string, JsonObject>): JsonObject {
  return { type: 'object', required, properties };
}

const profileSchema: JsonObject = {
  type: 'object',
  description: 'display information: displayName, email, picture',
  properties: {
    displayName: str('a display name'),
    email: str('an email address'),
    picture: str('the URL of a picture'),
  },
};

const permissionsSchema: JsonObject = {
  type: 'object',
  description: 'permission tags, e.g. { tags: [a, b] }',
  properties: { tags: { type: 'array', items: { type: 'string' } } },
};

const parameterPageSchema: JsonObject = {
  type: 'object',
  description: 'a JSON Schema for one page of the form',
  properties: { 'backstage:permissions': permissionsSchema },
};

const formDecoratorsSchema: JsonObject = {
  type: 'array',
  description: 'form decorators, each { id, input }',
  items: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'the form decorator id' },
      input: { type: 'object', description: 'the input object of the decorator' },
    },
  },
};

const ifSchema: JsonObject = {
  type: ['string', 'boolean'],
  description: 'a condition (a templated string or a boolean)',
};

function ref(
  path: string,
  defaultKind: string | undefined,
  relation: string,
  reverse: string,
): RefField {
  return defaultKind === undefined
    ? { path, relation, reverse }
    : { path, defaultKind, relation, reverse };
}

const ownerRef = ref('spec.owner', 'Group', RELATION_OWNED_BY, RELATION_OWNER_OF);
const systemRef = ref('spec.system', 'System', RELATION_PART_OF, RELATION_HAS_PART);
const dependsOnRef = ref('spec.dependsOn', undefined, RELATION_DEPENDS_ON, RELATION_DEPENDENCY_OF);
const dependencyOfRef = ref(
  'spec.dependencyOf',
  undefined,
  RELATION_DEPENDENCY_OF,
  RELATION_DEPENDS_ON,
);

const OWNER_DESCRIPTION = 'an entity ref to the owner, e.g. "team-a" or "user:jdoe"';
const SYSTEM_DESCRIPTION = 'an entity ref to the system it belongs to';
const DEPENDS_ON_DESCRIPTION =
  'a list of entity refs that name their kind, e.g. ["component:foo", "resource:db"]';

export const COMPONENT_KIND: KindDefinition = {
  kind: 'Component',
  apiVersions: [...BACKSTAGE_API_VERSIONS],
  specRequired: true,
  specSchema: specSchema(['type', 'lifecycle', 'owner'], {
    type: str('the type of component, e.g. "service", "website" or "library"'),
    lifecycle: str('the lifecycle, e.g. "experimental", "production" or "deprecated"'),
    owner: str(OWNER_DESCRIPTION),
    system: str(SYSTEM_DESCRIPTION),
    subcomponentOf: str('an entity ref to the component this one is part of'),
    providesApis: strArray('a list of entity refs to the APIs it provides'),
    consumesApis: strArray('a list of entity refs to the APIs it consumes'),
    dependsOn: strArray(DEPENDS_ON_DESCRIPTION),
    dependencyOf: strArray(DEPENDS_ON_DESCRIPTION),
  }),
  refFields: [
    ownerRef,
    ref('spec.subcomponentOf', 'Component', RELATION_PART_OF, RELATION_HAS_PART),
    ref('spec.providesApis', 'API', RELATION_PROVIDES_API, RELATION_API_PROVIDED_BY),
    ref('spec.consumesApis', 'API', RELATION_CONSUMES_API, RELATION_API_CONSUMED_BY),
    dependsOnRef,
    dependencyOfRef,
    systemRef,
  ],
  sortedArrays: ['spec.providesApis', 'spec.consumesApis', 'spec.dependsOn', 'spec.dependencyOf'],
};

export const API_KIND: KindDefinition = {
  kind: 'API',
  apiVersions: [...BACKSTAGE_API_VERSIONS],
  specRequired: true,
  specSchema: specSchema(['type', 'lifecycle', 'owner', 'definition'], {
    type: str('the type of API, e.g. "openapi", "asyncapi", "graphql", "grpc" or "trpc"'),
    lifecycle: str('the lifecycle, e.g. "experimental", "production" or "deprecated"'),
    owner: str(OWNER_DESCRIPTION),
    system: str(SYSTEM_DESCRIPTION),
    definition: str('the API definition as text, e.g. an OpenAPI document'),
  }),
  refFields: [ownerRef, systemRef],
};

export const RESOURCE_KIND: KindDefinition = {
  kind: 'Resource',
  apiVersions: [...BACKSTAGE_API_VERSIONS],
  specRequired: true,
  specSchema: specSchema(['type', 'owner'], {
    type: str('the type of resource, e.g. "database", "s3-bucket" or "cluster"'),
    owner: str(OWNER_DESCRIPTION),
    dependsOn: strArray(DEPENDS_ON_DESCRIPTION),
    dependencyOf: strArray(DEPENDS_ON_DESCRIPTION),
    system: str(SYSTEM_DESCRIPTION),
  }),
  refFields: [ownerRef, dependsOnRef, dependencyOfRef, systemRef],
  sortedArrays: ['spec.dependsOn', 'spec.dependencyOf'],
};

export const SYSTEM_KIND: KindDefinition = {
  kind: 'System',
  apiVersions: [...BACKSTAGE_API_VERSIONS],
  specRequired: true,
  specSchema: specSchema(['owner'], {
    owner: str(OWNER_DESCRIPTION),
    domain: str('an entity ref to the domain it belongs to'),
    type: str('the type of system'),
  }),
  refFields: [ownerRef, ref('spec.domain', 'Domain', RELATION_PART_OF, RELATION_HAS_PART)],
};

export const DOMAIN_KIND: KindDefinition = {
  kind: 'Domain',
  apiVersions: [...BACKSTAGE_API_VERSIONS],
  specRequired: true,
  specSchema: specSchema(['owner'], {
    owner: str(OWNER_DESCRIPTION),
    subdomainOf: str('an entity ref to the domain this one is part of'),
    type: str('the type of domain'),
  }),
  refFields: [ownerRef, ref('spec.subdomainOf', 'Domain', RELATION_PART_OF, RELATION_HAS_PART)],
};

export const GROUP_KIND: KindDefinition = {
  kind: 'Group',
  apiVersions: [...BACKSTAGE_API_VERSIONS],
  specRequired: true,
  specSchema: specSchema(['type', 'children'], {
    type: str('the type of group, e.g. "team", "business-unit", "product-area" or "root"'),
    profile: profileSchema,
    parent: str('an entity ref to the parent group'),
    children: strArray('a list of entity refs to the child groups (may be empty: [])'),
    members: strArray('a list of entity refs to the member users'),
  }),
  refFields: [
    ref('spec.parent', 'Group', RELATION_CHILD_OF, RELATION_PARENT_OF),
    ref('spec.children', 'Group', RELATION_PARENT_OF, RELATION_CHILD_OF),
    ref('spec.members', 'User', RELATION_HAS_MEMBER, RELATION_MEMBER_OF),
  ],
  sortedArrays: ['spec.children', 'spec.members'],
};

export const USER_KIND: KindDefinition = {
  kind: 'User',
  apiVersions: [...BACKSTAGE_API_VERSIONS],
  specRequired: true,
  specSchema: specSchema(['memberOf'], {
    profile: profileSchema,
    memberOf: strArray(
      'a list of entity refs to the groups the user is a member of (may be empty: [])',
    ),
  }),
  refFields: [ref('spec.memberOf', 'Group', RELATION_MEMBER_OF, RELATION_HAS_MEMBER)],
  sortedArrays: ['spec.memberOf'],
};

export const LOCATION_KIND: KindDefinition = {
  kind: 'Location',
  apiVersions: [...BACKSTAGE_API_VERSIONS],
  specRequired: true,
  specSchema: specSchema([], {
    type: str('the location type, e.g. "url" or "file"'),
    target: str('one target path or URL'),
    targets: strArray('a list of target paths or URLs'),
    presence: {
      type: 'string',
      enum: ['required', 'optional'],
      description: 'whether a missing target is an error',
    },
  }),
  refFields: [],
};

export const TEMPLATE_KIND: KindDefinition = {
  kind: 'Template',
  apiVersions: [TEMPLATE_API_VERSION],
  specRequired: true,
  specSchema: specSchema(['type', 'steps'], {
    type: str('the type of thing the template creates, e.g. "service"'),
    owner: str(OWNER_DESCRIPTION),
    lifecycle: str('the lifecycle, e.g. "experimental" or "production"'),
    parameters: {
      description: 'a JSON Schema object, or a list of them (one per form page)',
      oneOf: [parameterPageSchema, { type: 'array', items: parameterPageSchema }],
    },
    secrets: {
      type: 'object',
      description: 'an object with a JSON Schema for the task secrets: { schema: {...} }',
      properties: { schema: { type: 'object', description: 'a JSON Schema' } },
    },
    presentation: {
      type: 'object',
      description: 'presentation options: { buttonLabels: {...} }',
      properties: {
        buttonLabels: {
          type: 'object',
          description: 'labels: backButtonText, createButtonText, reviewButtonText',
          properties: {
            backButtonText: { type: 'string' },
            createButtonText: { type: 'string' },
            reviewButtonText: { type: 'string' },
          },
        },
      },
    },
    EXPERIMENTAL_recovery: {
      type: 'object',
      description: 'task recovery options: { EXPERIMENTAL_strategy: none | startOver }',
      properties: { EXPERIMENTAL_strategy: { type: 'string' } },
    },
    formDecorators: formDecoratorsSchema,
    EXPERIMENTAL_formDecorators: formDecoratorsSchema,
    steps: {
      type: 'array',
      description: 'a list of steps, each with at least an action',
      items: {
        type: 'object',
        description: 'a step: { id?, name?, action, input?, if? }',
        required: ['action'],
        properties: {
          id: { type: 'string', description: 'the step id' },
          name: { type: 'string', description: 'the step name' },
          action: { type: 'string', description: 'the action id, e.g. "fetch:template"' },
          input: { type: 'object', description: 'the input object of the action' },
          if: ifSchema,
          'backstage:permissions': permissionsSchema,
        },
      },
    },
    output: {
      type: 'object',
      description: 'the outputs: links, text, and other keys holding (templated) strings',
      properties: {
        links: {
          type: 'array',
          description: 'a list of links, each { title?, icon?, url? | entityRef?, if? }',
          items: {
            type: 'object',
            properties: {
              if: ifSchema,
              url: str('a URL'),
              entityRef: str('an entity ref'),
              title: str('a title'),
              icon: str('an icon name'),
            },
          },
        },
        text: {
          type: 'array',
          description: 'a list of text blocks, each { title?, icon?, content?, if? }',
          items: {
            type: 'object',
            properties: {
              if: ifSchema,
              title: str('a title'),
              icon: str('an icon name'),
              content: { type: 'string', description: 'Markdown text' },
            },
          },
        },
      },
      additionalProperties: { type: 'string', description: 'a (templated) string' },
    },
  }),
  refFields: [ownerRef],
};

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The built-in kinds, in the order Backstage documents them. Frozen: copy a definition
 * (e.g. `structuredClone`) to derive a custom kind from it.
 */
export const BUILTIN_KINDS: KindDefinition[] = [
  COMPONENT_KIND,
  API_KIND,
  RESOURCE_KIND,
  SYSTEM_KIND,
  DOMAIN_KIND,
  GROUP_KIND,
  USER_KIND,
  LOCATION_KIND,
  TEMPLATE_KIND,
];
deepFreeze(BUILTIN_KINDS);

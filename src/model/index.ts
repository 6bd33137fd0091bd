/** The pure entity model: types, kinds, validation, refs and relations. No I/O. */
export * from './entity.ts';
export * from './kind-definition.ts';
export * from './builtin-kinds.ts';
export * from './kind-registry.ts';
export * from './path.ts';
export * from './ref.ts';
export * from './relations.ts';
export * from './validate.ts';
export * from './validators.ts';

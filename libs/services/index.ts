// Public face of libs/services: service lifecycle, the module manager, and config-loading helpers
// that every component's config schema is built from.
export { State, Service, BasicService, InvalidServiceStateError, assertNever } from './service.ts';
export type { Listener } from './service.ts';
export {
  ModuleManager, ModuleGraphError, ModuleStartError, ModuleStartAbortedError,
} from './manager.ts';
export type { ModuleDefinition, Readiness } from './manager.ts';
export { ConfigError } from './config/errors.ts';
export { parseDuration, formatDuration } from './config/duration.ts';
export { expandEnv } from './config/env.ts';
export {
  FieldKind, section, duration, durationList, stringList, secret, port, fieldsOf, flagName, toDisplay,
} from './config/schema.ts';
export type { Field } from './config/schema.ts';
export { parseFlags } from './config/flags.ts';
export type { ParsedFlags } from './config/flags.ts';
export { loadConfig, validateConfig, renderConfig, deepFreeze, RenderMode } from './config/load.ts';
export type { LoadOptions, DeepReadonly } from './config/load.ts';

// Public face of the agent's Pushgateway-compatible push API: the config section, the in-memory
// group store the agent emits from, and the HTTP routes.
export { pushConfigSchema } from './config.ts';
export type { PushConfig } from './config.ts';
export { PushError, PushErrorReason } from './errors.ts';
export { parseGroupingKey } from './grouping.ts';
export type { GroupingKey } from './grouping.ts';
export { parseTextBody } from './body.ts';
export type { PushBody, PushedFamily, PushedSample } from './body.ts';
export { parseProtobufBody } from './protobuf.ts';
export { PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC, PushStore } from './store.ts';
export type { EmitStats, GroupView, PushStoreDeps } from './store.ts';
export { registerPushRoutes } from './http.ts';
export type { PushRoutesOptions } from './http.ts';

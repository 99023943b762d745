// Public face of libs/tenant: tenant ids, per-tenant limits and their runtime overrides, and the
// ingestion rate limiter. Only the edge (HTTP/gRPC handlers) resolves tenants; only the
// overrides object hands out limits.
export {
  MAX_TENANT_ID_LENGTH, NO_AUTH_TENANT, ORG_ID_HEADER, TenantError, TenantErrorCode,
  validateTenantId, tenantIdsFromOrgId, singleTenantFromOrgId, tenantOfRequest,
} from './tenant_id.ts';
export { limitsConfigSchema } from './limits.ts';
export type { Limits } from './limits.ts';
export { Overrides, RuntimeConfigLoader, authConfigSchema, parseRuntimeConfig, runtimeConfigSchema } from './overrides.ts';
export type { RuntimeConfig, RuntimeConfigMetrics } from './overrides.ts';
export { RateLimiter } from './rate_limiter.ts';

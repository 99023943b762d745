// Tenant ids as Mimir accepts them: at most 150 characters of [A-Za-z0-9!._*'()-], never "." or
// "..", so an id can always be used as a path segment or a bucket prefix. Messages match dskit's.

export const MAX_TENANT_ID_LENGTH = 150;

/** The tenant of requests when multi-tenancy is off (Mimir's default "anonymous"). */
export const NO_AUTH_TENANT = 'anonymous';

/** The header that names the tenant of an HTTP request. */
export const ORG_ID_HEADER = 'x-scope-orgid';

const FEDERATION_SEPARATOR = '|';

export const TenantErrorCode = {
  Missing: 'missing_tenant',
  TooLong: 'tenant_too_long',
  Unsafe: 'tenant_unsafe',
  UnsupportedCharacter: 'tenant_unsupported_character',
  TooMany: 'too_many_tenants',
} as const;
export type TenantErrorCode = (typeof TenantErrorCode)[keyof typeof TenantErrorCode];

/** A missing or invalid tenant id. `status` is the HTTP status it maps to (401 missing, 400 invalid). */
export class TenantError extends Error {
  constructor(
    readonly code: TenantErrorCode,
    message: string,
    readonly status: 400 | 401 = code === TenantErrorCode.Missing ? 401 : 400,
  ) {
    super(message);
    this.name = 'TenantError';
  }
}

const VALID = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!-_.*\'()') VALID[c.charCodeAt(0)] = 1;

/** Throws a TenantError unless `id` is a valid single tenant id. */
export function validateTenantId(id: string): void {
  if (id.length > MAX_TENANT_ID_LENGTH) {
    throw new TenantError(TenantErrorCode.TooLong, `tenant ID is too long: max ${MAX_TENANT_ID_LENGTH} characters`);
  }
  if (id === '.' || id === '..') throw new TenantError(TenantErrorCode.Unsafe, "tenant ID is '.' or '..'");
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 128 || VALID[c] === 0) {
      const ch = String.fromCodePoint(id.codePointAt(i)!);
      throw new TenantError(TenantErrorCode.UnsupportedCharacter, `tenant ID '${id}' contains unsupported character '${ch}'`);
    }
  }
}

/**
 * The tenant ids of an X-Scope-OrgID value: one id, or several joined by "|" (tenant federation),
 * returned sorted and without duplicates. An absent or empty value is an error ("no org id").
 */
export function tenantIdsFromOrgId(value: string | undefined): string[] {
  if (value === undefined || value === '') throw new TenantError(TenantErrorCode.Missing, 'no org id');
  const ids = [...new Set(value.split(FEDERATION_SEPARATOR))].sort();
  for (const id of ids) {
    if (id === '') throw new TenantError(TenantErrorCode.Missing, 'no org id');
    validateTenantId(id);
  }
  return ids;
}

/** The one tenant of a request that may not name several (writes, for example). */
export function singleTenantFromOrgId(value: string | undefined): string {
  const ids = tenantIdsFromOrgId(value);
  if (ids.length > 1) {
    throw new TenantError(TenantErrorCode.TooMany, 'multiple org IDs present');
  }
  return ids[0]!;
}

/**
 * The tenant of a request from its X-Scope-OrgID values (an HTTP header may repeat, gRPC
 * metadata may hold several): with multi-tenancy off always NO_AUTH_TENANT, else exactly one
 * valid tenant id or a TenantError.
 */
export function tenantOfRequest(orgId: string | readonly string[] | undefined, multitenancy: boolean): string {
  if (!multitenancy) return NO_AUTH_TENANT;
  const value = typeof orgId === 'string' || orgId === undefined ? orgId : orgId.join(FEDERATION_SEPARATOR);
  return singleTenantFromOrgId(value);
}

// Public face of libs/cache: the byte-cache contract, an in-process LRU, Redis, a no-op cache,
// the config section and a constructor from it.
export { newStats } from './interface.ts';
export type { Cache, CacheStats } from './interface.ts';
export { MemoryCache } from './memory.ts';
export type { MemoryCacheOptions } from './memory.ts';
export { RedisCache } from './redis.ts';
export type { RedisCacheOptions } from './redis.ts';
export { NoopCache } from './noop.ts';
export { CacheBackend, cacheConfigSchema, redisCacheConfigSchema } from './config.ts';
export type { CacheConfig, RedisCacheConfig } from './config.ts';
export { createCache } from './create.ts';

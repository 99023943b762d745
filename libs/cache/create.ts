// Builds the cache a config section asks for.
import type { Logger } from '../log/index.ts';
import { CacheBackend, type CacheConfig } from './config.ts';
import type { Cache } from './interface.ts';
import { MemoryCache } from './memory.ts';
import { NoopCache } from './noop.ts';
import { RedisCache } from './redis.ts';

/** A cache for `cfg`; a Redis cache connects on its first use (or call its start()). */
export function createCache(cfg: CacheConfig, deps: { logger?: Logger } = {}): Cache {
  switch (cfg.backend) {
    case CacheBackend.InMemory:
      return cfg.inmemory.max_size_bytes > 0 ? new MemoryCache({ maxSizeBytes: cfg.inmemory.max_size_bytes }) : new NoopCache();
    case CacheBackend.Redis:
      if (cfg.redis.endpoint === '') throw new Error('invalid config: redis.endpoint is required with cache backend redis');
      return new RedisCache({
        endpoint: cfg.redis.endpoint,
        username: cfg.redis.username,
        password: cfg.redis.password,
        db: cfg.redis.db,
        dialTimeoutMs: cfg.redis.dial_timeout,
        readTimeoutMs: cfg.redis.read_timeout,
        maxItemSizeBytes: cfg.redis.max_item_size,
        ...(deps.logger ? { logger: deps.logger } : {}),
      });
  }
}

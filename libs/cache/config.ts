// The config section of one cache (Mimir's cache client config, e.g.
// `blocks_storage.bucket_store.chunks_cache`): the backend and its settings.
import { z } from 'zod';
import { duration, secret, section } from '../services/index.ts';

export const CacheBackend = { InMemory: 'inmemory', Redis: 'redis' } as const;
export type CacheBackend = (typeof CacheBackend)[keyof typeof CacheBackend];

export const redisCacheConfigSchema = section({
  endpoint: z.string().default('').describe('Redis server host:port; required with backend redis.'),
  username: z.string().default('').describe('Redis username (ACL).'),
  password: secret().describe('Redis password.'),
  db: z.number().int().min(0).default(0).describe('Redis database index.'),
  // Shorter than Mimir's 5s/3s: a cache that stops answering must cost a query little.
  dial_timeout: duration('1s').describe('Timeout of a connection attempt.'),
  read_timeout: duration('250ms').describe('Timeout of one command; a timed-out read is a miss.'),
  max_item_size: z.number().int().min(1).default(16 << 20).describe('Values larger than this many bytes are not cached.'),
});

/** A cache section; `maxSizeDefault` is the in-memory bound when the section gives none. */
export function cacheConfigSchema(maxSizeDefault: number) {
  return section({
    backend: z.enum([CacheBackend.InMemory, CacheBackend.Redis]).default(CacheBackend.InMemory).describe('Cache backend: inmemory (this process, an LRU) or redis.'),
    inmemory: section({
      max_size_bytes: z.number().int().min(0).default(maxSizeDefault).describe('Bound on the in-memory cache, bytes; 0 disables it.'),
    }),
    redis: redisCacheConfigSchema,
  });
}

export type RedisCacheConfig = z.output<typeof redisCacheConfigSchema>;
export type CacheConfig = z.output<ReturnType<typeof cacheConfigSchema>>;

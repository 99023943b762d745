// The `server` config section: listen addresses and process-wide logging, Mimir's names.
import { z } from 'zod';
import { port, section } from '../services/index.ts';

export const serverConfigSchema = section({
  http_listen_address: z.string().default('0.0.0.0').describe('HTTP server listen address.'),
  http_listen_port: port(9009).describe('HTTP server listen port; 0 picks a free port.'),
  grpc_listen_address: z.string().default('0.0.0.0').describe('gRPC server listen address.'),
  grpc_listen_port: port(9095).describe('gRPC server listen port; 0 picks a free port.'),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('Only log messages at or above this level.'),
  log_format: z.enum(['json', 'logfmt']).default('json').describe('Output log messages as JSON lines or logfmt.'),
});

export type ServerConfig = z.output<typeof serverConfigSchema>;

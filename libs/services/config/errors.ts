// The one error type of config loading; its message is the whole line printed after "invalid config: ".

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

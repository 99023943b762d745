// The contract of a `strata tool` subcommand.

export interface ToolIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ToolCommand {
  /** One or more words after `strata tool`, e.g. "block create". */
  readonly name: string;
  /** One line for `strata tool --help`. */
  readonly summary: string;
  /**
   * Runs with the arguments after the name; returns the exit code. Heavy commands should import
   * their implementation lazily (`await import(...)`) so that other subcommands start fast.
   */
  run(args: readonly string[], io: ToolIO): Promise<number>;
}

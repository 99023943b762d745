// `strata tool <subcommand>`: finds the subcommand in a registry (longest name match) and runs it.
import { TOOL_COMMANDS } from './commands.ts';
import type { ToolCommand, ToolIO } from './types.ts';

export type { ToolCommand, ToolIO } from './types.ts';

export class ToolRegistry {
  readonly #commands = new Map<string, ToolCommand>();

  constructor(commands: readonly ToolCommand[] = []) {
    for (const c of commands) this.register(c);
  }

  register(cmd: ToolCommand): void {
    const name = cmd.name.trim().split(/\s+/).join(' ');
    if (this.#commands.has(name)) throw new Error(`tool "${name}" is registered twice`);
    this.#commands.set(name, cmd);
  }

  list(): ToolCommand[] {
    return [...this.#commands.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The command whose name is the longest prefix of `args`, and the arguments after it. */
  find(args: readonly string[]): { cmd: ToolCommand; rest: readonly string[] } | undefined {
    for (let n = args.length; n > 0; n--) {
      const cmd = this.#commands.get(args.slice(0, n).join(' '));
      if (cmd) return { cmd, rest: args.slice(n) };
    }
    return undefined;
  }
}

export const defaultTools = (): ToolRegistry => new ToolRegistry(TOOL_COMMANDS);

export function toolHelp(registry: ToolRegistry): string {
  const cmds = registry.list();
  const width = Math.max(0, ...cmds.map((c) => c.name.length));
  const lines = cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: strata tool <subcommand> [args]\n\nsubcommands:\n${lines.join('\n')}\n`;
}

export const processIO: ToolIO = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
};

/** Runs `strata tool <args>`; returns the exit code. */
export async function runTool(args: readonly string[], registry = defaultTools(), io: ToolIO = processIO): Promise<number> {
  const first = args[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? io.stderr : io.stdout)(toolHelp(registry));
    return first === undefined ? 1 : 0;
  }
  const found = registry.find(args);
  if (!found) {
    const words = args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ') || first;
    io.stderr(`error: unknown tool subcommand "${words}" (see "strata tool --help")\n`);
    return 1;
  }
  return found.cmd.run(found.rest, io);
}

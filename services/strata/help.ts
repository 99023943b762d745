// `strata --help`: usage, targets and every config flag, generated from the config schema.
import type { Field } from '../../libs/services/index.ts';
import { FieldKind, fieldsOf, toDisplay } from '../../libs/services/index.ts';
import { configSchema } from './config.ts';
import { TARGETS } from './modules.ts';

const TYPE_OF: Record<FieldKind, string> = {
  boolean: '',
  number: 'int',
  string: 'string',
  enum: 'string',
  duration: 'duration',
  duration_list: 'durations',
  string_list: 'strings',
  secret: 'string',
  other: 'value',
};

function defaultOf(defaults: unknown, f: Field): unknown {
  let cur = defaults;
  for (const p of f.path) cur = (cur as Record<string, unknown> | undefined)?.[p];
  return cur;
}

export function usage(): string {
  const defaults = toDisplay(configSchema, configSchema.parse({}), { maskSecrets: true });
  const lines = [
    'usage: strata [flags]            run the modules of --target',
    '       strata tool <subcommand>  offline tools (strata tool --help)',
    '       strata --version',
    '',
    `targets: ${Object.keys(TARGETS).join(', ')}`,
    '',
    'flags (every key of the YAML config file; precedence: defaults < file < flags):',
    '  --config.file string',
    '        YAML config file; ${VAR} and ${VAR:-default} are expanded from the environment.',
  ];
  for (const f of fieldsOf(configSchema)) {
    const type = TYPE_OF[f.kind];
    lines.push(`  --${f.flag}${type ? ` ${type}` : ''}`);
    const d = defaultOf(defaults, f);
    const shown = Array.isArray(d) ? JSON.stringify(d.join(',')) : typeof d === 'string' ? JSON.stringify(d) : String(d);
    const extra = [f.values ? `one of ${f.values.join(', ')}` : '', shown !== '""' ? `default ${shown}` : '']
      .filter((x) => x !== '')
      .join('; ');
    lines.push(`        ${f.description}${extra ? ` (${extra})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

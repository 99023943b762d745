// ${VAR} and ${VAR:-default} expansion of configuration text, before it is parsed as YAML.

const ENV_RE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` with the variable's value (empty when unset, as Mimir's -config.expand-env does)
 * and `${VAR:-default}` with `default` when VAR is unset or empty. `$$` is a literal `$`.
 */
export function expandEnv(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(ENV_RE, (whole: string, name: string | undefined, def: string | undefined) => {
    if (whole === '$$') return '$';
    const v = env[name as string];
    if (def !== undefined) return v === undefined || v === '' ? def : v;
    return v ?? '';
  });
}

// Local ESLint rule: code outside a library or service may import only its public face.
//   libs/<x>/…      from outside libs/<x>/:     only libs/<x>/index.ts, or its acceptance suite
//                                               libs/<x>/testing.ts (plus options.entryPoints)
//   services/<x>/…  from outside services/<x>/: only services/<x>/index.ts or client.ts
//   libs never import services.
// Benchmarks (*.bench.ts) are entry points, not internals: the bench runner may import them.
import path from 'node:path';

const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);

/** 'libs/tsdb/head/head.ts' → { kind: 'libs', name: 'tsdb', rest: 'head/head.ts' }. */
function locate(abs) {
  const rel = path.relative(ROOT, abs).split(path.sep).join('/');
  const m = /^(libs|services)\/([^/]+)\/(.+)$/.exec(rel);
  return m ? { rel, kind: m[1], name: m[2], rest: m[3] } : { rel, kind: undefined };
}

/** @type {import('eslint').Rule.RuleModule} */
export const boundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Import other libraries and services only through their index.ts (or a service client.ts).' },
    schema: [
      {
        type: 'object',
        properties: { entryPoints: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
    ],
    messages: {
      internal: 'Import "{{target}}" only through {{face}}: it is internal to {{owner}}.',
      libImportsService: 'Libraries must not import services ("{{target}}").',
    },
  },
  create(context) {
    const entryPoints = new Set(context.options[0]?.entryPoints ?? []);
    const from = locate(path.resolve(context.filename));
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = locate(path.resolve(path.dirname(context.filename), spec));
      if (to.kind === undefined) return;
      if (from.kind === 'libs' && to.kind === 'services') {
        context.report({ node, messageId: 'libImportsService', data: { target: to.rel } });
        return;
      }
      if (from.kind === to.kind && from.name === to.name) return;
      const allowed = to.kind === 'libs' ? ['index.ts', 'testing.ts'] : ['index.ts', 'client.ts'];
      if (allowed.includes(to.rest) || entryPoints.has(to.rel) || to.rest.endsWith('.bench.ts')) return;
      context.report({
        node,
        messageId: 'internal',
        data: {
          target: to.rel,
          owner: `${to.kind}/${to.name}`,
          face: allowed.map((f) => `${to.kind}/${to.name}/${f}`).join(' or '),
        },
      });
    };
    const fromSource = (node) => {
      if (node.source) check(node.source, node.source.value);
    };
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => {
        if (node.source.type === 'Literal') check(node.source, node.source.value);
      },
      TSImportType: (node) => {
        const lit = node.argument?.literal ?? node.argument;
        if (lit?.type === 'Literal') check(lit, lit.value);
      },
    };
  },
};

export default { rules: { boundaries } };

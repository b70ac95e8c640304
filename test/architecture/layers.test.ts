// Architecture test: no module under src/ imports from a higher layer, no two folders import each other, and msgpackr
// is never loaded before src/storage/msgpack-strings.ts has run.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');

/**
 * The layers, lowest first (docs/architecture.md, "Layers"). A unit is a folder under src/ or a file directly in
 * src/. A module may import from its own layer and from any layer below it, never from a layer above.
 */
const LAYERS: readonly { name: string; units: readonly string[] }[] = [
  { name: 'base', units: ['errors.ts'] },
  { name: 'schema', units: ['schema'] },
  { name: 'storage', units: ['storage'] },
  { name: 'identity', units: ['identity'] },
  { name: 'projections', units: ['projections'] },
  { name: 'catalog, options', units: ['catalog', 'options.ts'] },
  { name: 'ingest', units: ['ingest'] },
  { name: 'query, changes', units: ['query', 'changes'] },
  { name: 'export', units: ['export'] },
  { name: 'db', units: ['db.ts'] },
  { name: 'adapters, demo', units: ['adapters', 'demo'] },
  { name: 'collector', units: ['collector'] },
  { name: 'entry points', units: ['index.ts', 'adapters.ts'] },
  { name: 'cli', units: ['cli'] },
];

const LAYER_OF = new Map(LAYERS.flatMap((layer, rank) => layer.units.map((unit) => [unit, rank] as const)));

/**
 * The module specifiers a source text names: `import … from`, `export … from`, side-effect `import '…'` and
 * `import('…')`. Type-only imports count too: they tie the layers together as much as value imports do (and
 * `verbatimModuleSyntax` keeps them visible as `import type`). Comments are dropped first, so `@example` code
 * in a doc comment is not an import. A dynamic import of a computed specifier (not a string literal) is not seen;
 * src/ has none.
 */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
  const found: string[] = [];
  const pattern = /\b(?:import|export)\s+(?:type\s+)?(?:[\w$*{},\s]+?\s+from\s*)?['"]([^'"\n]+)['"]|\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;
  for (const match of code.matchAll(pattern)) found.push((match[1] ?? match[2])!);
  return found;
}

interface Edge {
  from: string;
  to: string;
  fromUnit: string;
  toUnit: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []))
    .sort();
}

/** The folder under src/ a file is in, or its own name for a file directly in src/. */
function unitOf(file: string): string {
  return relative(SRC, file).split(sep)[0]!;
}

function shown(file: string): string {
  return relative(ROOT, file).split(sep).join('/');
}

/**
 * Every relative import of every module under src/ (once per importing file and specifier), resolved to its file;
 * and the specifiers that resolve to no file.
 */
function scan(): { edges: Edge[]; unresolved: string[] } {
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const from of sourceFiles(SRC)) {
    for (const specifier of new Set(specifiers(readFileSync(from, 'utf8')))) {
      if (!specifier.startsWith('.')) continue;
      const to = join(dirname(from), specifier.replace(/\.js$/, '.ts'));
      if (!existsSync(to) || !statSync(to).isFile()) unresolved.push(`${shown(from)}: '${specifier}'`);
      else edges.push({ from, to, fromUnit: unitOf(from), toUnit: unitOf(to) });
    }
  }
  return { edges, unresolved };
}

function rankOf(unit: string): number {
  const rank = LAYER_OF.get(unit);
  if (rank === undefined) throw new Error(`src/${unit} is in no layer: add it to LAYERS`);
  return rank;
}

function describeUnit(unit: string): string {
  return `${unit}, layer ${rankOf(unit)}`;
}

/** The cycles between units: strongly connected components of more than one unit (Tarjan), each with an example import per hop. */
function cycles(edges: readonly Edge[]): string[] {
  const graph = new Map<string, Map<string, Edge>>();
  for (const edge of edges) {
    if (edge.fromUnit === edge.toUnit) continue;
    const targets = graph.get(edge.fromUnit) ?? graph.set(edge.fromUnit, new Map()).get(edge.fromUnit)!;
    if (!targets.has(edge.toUnit)) targets.set(edge.toUnit, edge);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (unit: string): void => {
    index.set(unit, index.size);
    low.set(unit, index.get(unit)!);
    stack.push(unit);
    onStack.add(unit);
    for (const next of graph.get(unit)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(unit, Math.min(low.get(unit)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(unit, Math.min(low.get(unit)!, index.get(next)!));
    }
    if (low.get(unit) === index.get(unit)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== unit);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const unit of [...graph.keys()].sort()) if (!index.has(unit)) visit(unit);
  return components.map((component) => {
    const inside = new Set(component);
    const hops = component.flatMap((unit) =>
      [...(graph.get(unit) ?? [])].filter(([to]) => inside.has(to)).map(([to, edge]) => `    ${unit} → ${to}: ${shown(edge.from)} → ${shown(edge.to)}`),
    );
    const example = shortestCycle(graph, component[0]!, inside).join(' → ');
    return [`  ${component.join(', ')} (e.g. ${example}; each import below lies on a cycle):`, ...hops].join('\n');
  });
}

/** The shortest cycle from `start` back to itself within one component (breadth first). */
function shortestCycle(graph: ReadonlyMap<string, ReadonlyMap<string, Edge>>, start: string, inside: ReadonlySet<string>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const unit = queue[i]!;
    for (const next of graph.get(unit)?.keys() ?? []) {
      if (next === start) {
        const path: string[] = [];
        for (let at = unit; at !== start; at = parent.get(at)!) path.unshift(at);
        return [start, ...path, start];
      }
      if (inside.has(next) && !parent.has(next)) {
        parent.set(next, unit);
        queue.push(next);
      }
    }
  }
  return [];
}

describe('layers', () => {
  const { edges, unresolved } = scan();

  it('reads static, type-only, re-exported and dynamic imports, but not imports in comments', () => {
    const text = [
      "import { a, type B } from './a.js';",
      "import type {\n  C,\n  D,\n} from '../c.js';",
      "export { e } from './e.js';",
      "export * from './f.js';",
      "import './side-effect.js';",
      "const { g } = await import('./g.js');",
      "// import { h } from './h.js';",
      "/**\n * @example\n * import { i } from './i.js';\n */",
      "const text = 'import';",
    ].join('\n');
    expect(specifiers(text)).toEqual(['./a.js', '../c.js', './e.js', './f.js', './side-effect.js', './g.js']);
  });

  it('finds the imports of every module under src/, each resolved to a file in a layer', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(unresolved, 'relative imports that name no file').toEqual([]);
    const units = new Set(sourceFiles(SRC).map(unitOf));
    expect(
      [...units].filter((unit) => !LAYER_OF.has(unit)).map((unit) => `src/${unit}`),
      'folders and files in no layer: add them to LAYERS',
    ).toEqual([]);
  });

  it('has no import from a higher layer', () => {
    const upward = edges
      .filter((edge) => rankOf(edge.toUnit) > rankOf(edge.fromUnit))
      .map((edge) => `${shown(edge.from)} → ${shown(edge.to)} (${describeUnit(edge.fromUnit)} → ${describeUnit(edge.toUnit)})`);
    expect(upward, `${upward.length} imports from a higher layer:\n  ${upward.join('\n  ')}\n`).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    const found = cycles(edges);
    expect(found, `folders that import each other:\n${found.join('\n')}\n`).toEqual([]);
  });
});

describe('msgpack-strings', () => {
  const SETTER = join(SRC, 'storage', 'msgpack-strings.ts');
  /** Whether a module loads lmdb-js or msgpackr when it runs: a value import (a type-only one is erased). */
  const loadsMsgpackr = (text: string): boolean => /^import\s+(?!type\s)[^;]*?from\s*'(lmdb|msgpackr)(\/[^']*)?';/m.test(text);

  it('tells value imports of lmdb-js and msgpackr from type-only ones', () => {
    expect(loadsMsgpackr("import { open, type Database } from 'lmdb';")).toBe(true);
    expect(loadsMsgpackr("import {\n  Packr,\n  RESET_BUFFER_MODE,\n} from 'msgpackr';")).toBe(true);
    expect(loadsMsgpackr("import type { Database } from 'lmdb';")).toBe(false);
    expect(loadsMsgpackr("import { x } from './lmdb.js';")).toBe(false);
  });

  it('runs first in every module under src/ that loads lmdb-js or msgpackr', () => {
    // msgpackr reads MSGPACKR_NATIVE_ACCELERATION_DISABLED when it loads: the module that sets it must come first
    // wherever either package can be reached first (docs/guarantees.md, "msgpackr-extract and threads").
    const importers = sourceFiles(SRC).filter((file) => loadsMsgpackr(readFileSync(file, 'utf8')));
    expect(importers.map(shown)).toEqual(expect.arrayContaining(['src/storage/storage.ts', 'src/projections/partial-codec.ts']));
    const late = importers.filter((file) => {
      const first = specifiers(readFileSync(file, 'utf8'))[0]!;
      return !first.startsWith('.') || join(dirname(file), first.replace(/\.js$/, '.ts')) !== SETTER;
    });
    expect(late.map(shown), "modules whose first import is not '…/storage/msgpack-strings.js'").toEqual([]);
  });
});

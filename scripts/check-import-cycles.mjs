// `npm run lint`: no new import cycles in the service and the verifier, type-only imports
// included (they still tie two modules' designs together). Two views:
// - modules: a file importing, through any chain, a file that imports it;
// - layers: the same between src/'s directories (replica/ counted by its subdirectories), so that
//   metrics/ never again reaches into http/ or app/, nor replica/wakeups/ into app/.
// The cycles that exist today are listed below, each to be broken by the work that owns it; one
// not listed (or a listed one that grew) fails. Fast: it reads `from '…'` and `import('…')` lines,
// no type checking.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOTS = ['src', 'packages/verifier/src'];
/** tsconfig.json "paths": the verifier imports the service's shared code by these names. */
const ALIASES = { '#core/': 'src/core/', '#replica/': 'src/replica/' };

const KNOWN = new Set([
  // Modules (type-only imports): the store contract and its ports (the stores' rework)…
  'src/stores/ports/audit-log.ts src/stores/ports/containment.ts src/stores/ports/outbox.ts ' +
    'src/stores/ports/records.ts src/stores/ports/revocation-log.ts src/stores/types.ts',
  'src/stores/sql/dialect.ts src/stores/sql/procedure.ts',
  // …the app context and the security services it holds (the app's rework)…
  'src/app/context.ts src/app/security/alerts.ts src/app/security/auto-block.ts ' +
    'src/app/security/ip-blocks.ts src/app/security/security-monitor.ts',
  // …the library's contract and its lazily loaded handle.
  'src/library/open-revokd.ts src/library/revokd-handle.ts',
]);

const IMPORT = /\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;

function sourceFiles(dir) {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(rel);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [rel] : [];
  });
}

function resolve(from, specifier) {
  const alias = Object.keys(ALIASES).find((a) => specifier.startsWith(a));
  let target;
  if (alias !== undefined) target = ALIASES[alias] + specifier.slice(alias.length);
  else if (specifier.startsWith('.')) target = path.posix.join(path.posix.dirname(from), specifier);
  else return undefined;
  target = target.replace(/\.js$/, '.ts');
  return fs.existsSync(path.join(root, target)) ? target : undefined;
}

/** A file's layer: its directory under src/ (replica/'s by subdirectory), or the verifier. */
function layer(file) {
  if (file.startsWith('packages/verifier/')) return 'verifier';
  const parts = file.split('/').slice(1, -1);
  if (parts.length === 0) return undefined; // src/index.ts, src/server.ts: entry points, on top
  return parts[0] === 'replica' && parts.length > 1 ? parts.slice(0, 2).join('/') : parts[0];
}

/** Strongly connected components of more than one node (Tarjan), each as sorted names. */
function cycles(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, index.size);
    low.set(v, index.get(v));
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort().join(' '));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const modules = new Map();
const layers = new Map();
const edge = (graph, a, b) => (graph.get(a) ?? graph.set(a, new Set()).get(a)).add(b);
for (const file of ROOTS.flatMap(sourceFiles)) {
  modules.set(file, modules.get(file) ?? new Set());
  for (const [, specifier] of fs.readFileSync(path.join(root, file), 'utf8').matchAll(IMPORT)) {
    const target = resolve(file, specifier);
    if (target === undefined) continue;
    edge(modules, file, target);
    const [from, to] = [layer(file), layer(target)];
    if (from !== undefined && to !== undefined && from !== to) edge(layers, from, to);
  }
}

const found = [...cycles(modules), ...cycles(layers)];
const fresh = found.filter((c) => !KNOWN.has(c));
const gone = [...KNOWN].filter((c) => !found.includes(c));
for (const c of gone)
  console.log(
    `import cycle gone (remove it from KNOWN in ${path.relative(root, fileURLToPath(import.meta.url))}): ${c}`,
  );
for (const c of fresh) console.error(`import cycle: ${c}`);
if (fresh.length > 0) {
  console.error(
    `${fresh.length} new import cycle(s): move the shared type down a layer (core/, or the module that owns it)`,
  );
  process.exit(1);
}

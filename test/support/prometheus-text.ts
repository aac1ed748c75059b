/**
 * A small, strict parser of the Prometheus text exposition format (0.0.4), for tests. It throws on
 * anything a scraper could choke on: a sample line that is not `name{labels} value`, a value that is
 * not a float, a sample whose family has no `# HELP` and `# TYPE` before it, a duplicate series, a
 * bad label escape, histogram buckets that are not cumulative or miss `+Inf`.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Family {
  readonly name: string;
  help: string | undefined;
  type: MetricType | undefined;
}

export interface Sample {
  readonly name: string;
  readonly family: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly families: ReadonlyMap<string, Family>;
  readonly samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

function parseFloatStrict(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: "${text}" is not a valid float`);
  if (text.endsWith('Inf')) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** Parses `{a="x",b="y\"z"}` starting at `text[0] === '{'`; returns the labels and the rest. */
function parseLabels(
  text: string,
  where: string,
): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
  for (;;) {
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (nameMatch === null) fail('expected a label name');
    const name = nameMatch![0];
    i += name.length;
    if (text[i] !== '=' || text[i + 1] !== '"') fail(`expected ="…" after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) fail('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const next = text[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else fail(`bad escape \\${String(next)} in label ${name}`);
        i += 2;
        continue;
      }
      if (c === '\n') fail('newline inside a label value');
      value += c;
      i += 1;
    }
    i += 1; // closing quote
    if (!LABEL_NAME.test(name)) fail(`bad label name ${name}`);
    if (Object.hasOwn(labels, name)) fail(`label ${name} given twice`);
    labels[name] = value;
    if (text[i] === ',') {
      i += 1;
      continue;
    }
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    fail(`expected , or } after label ${name}`);
  }
}

/** The family a sample name belongs to, given the families declared so far. */
function familyOf(name: string, families: ReadonlyMap<string, Family>): Family | undefined {
  const exact = families.get(name);
  if (exact !== undefined && exact.type !== 'histogram') return exact;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = families.get(name.slice(0, -suffix.length));
    if (base === undefined) continue;
    if (base.type === 'histogram') return base;
    if (base.type === 'summary' && suffix !== '_bucket') return base;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Exposition {
  const families = new Map<string, Family>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('the exposition must end with a newline');
  lines.pop();
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line.slice(0, 80))})`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) throw new Error(`${where}: only # HELP and # TYPE comments are expected`);
      const [, kind, name, rest] = m as unknown as [string, 'HELP' | 'TYPE', string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`);
      const family = families.get(name) ?? { name, help: undefined, type: undefined };
      families.set(name, family);
      if (kind === 'HELP') {
        if (family.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\(?![\\n])/.test(rest)) throw new Error(`${where}: bad escape in HELP`);
        family.help = rest;
      } else {
        if (family.type !== undefined) throw new Error(`${where}: second TYPE for ${name}`);
        if (!(TYPES as readonly string[]).includes(rest))
          throw new Error(`${where}: unknown type "${rest}"`);
        family.type = rest as MetricType;
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (nameMatch === null) throw new Error(`${where}: expected a metric name`);
    const name = nameMatch[0];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, where));
    const valueMatch = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (valueMatch === null) throw new Error(`${where}: expected " value" after the series`);
    const value = parseFloatStrict(valueMatch[1] as string, where);
    const family = familyOf(name, families);
    if (family === undefined) throw new Error(`${where}: ${name} has no # TYPE before it`);
    if (family.help === undefined) throw new Error(`${where}: ${family.name} has no # HELP`);
    if (family.type === undefined) throw new Error(`${where}: ${family.name} has no # TYPE`);
    if (name.endsWith('_bucket') && family.type === 'histogram' && labels.le === undefined)
      throw new Error(`${where}: bucket without le`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series`);
    seen.add(key);
    samples.push({ name, family: family.name, labels, value });
  });
  for (const family of families.values()) {
    if (family.help === undefined || family.type === undefined)
      throw new Error(`${family.name}: needs both # HELP and # TYPE`);
    if (family.type === 'histogram') checkHistogram(family.name, samples);
  }
  return { families, samples };
}

/** Buckets of each series are cumulative, end with +Inf, and +Inf equals _count. */
function checkHistogram(name: string, samples: readonly Sample[]): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count: number | undefined }>();
  const keyOf = (labels: Readonly<Record<string, string>>): string =>
    JSON.stringify(
      Object.entries(labels)
        .filter(([k]) => k !== 'le')
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  for (const s of samples) {
    if (s.family !== name) continue;
    const entry = series.get(keyOf(s.labels)) ?? { buckets: [], count: undefined };
    series.set(keyOf(s.labels), entry);
    if (s.name === `${name}_bucket`)
      entry.buckets.push([parseFloatStrict(s.labels.le as string, `${name} le`), s.value]);
    if (s.name === `${name}_count`) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of series) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      if ((sorted[i] as [number, number])[1] < (sorted[i - 1] as [number, number])[1])
        throw new Error(`${name}${key}: buckets are not cumulative`);
    }
    const inf = sorted[sorted.length - 1];
    if (inf === undefined || inf[0] !== Infinity) throw new Error(`${name}${key}: no +Inf bucket`);
    if (count !== inf[1])
      throw new Error(`${name}${key}: _count ${count} differs from the +Inf bucket ${inf[1]}`);
  }
}

/** The value of the series with exactly these labels; undefined when absent. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels);
  const found = exposition.samples.find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === wanted.length &&
      wanted.every(([k, v]) => s.labels[k] === v),
  );
  return found?.value;
}

/** Every sample of a metric name (any labels). */
export function samplesOf(exposition: Exposition, name: string): Sample[] {
  return exposition.samples.filter((s) => s.name === name);
}

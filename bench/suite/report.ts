// Turns one run's BenchResults into docs/benchmarks.md and its two hand-written SVG charts (throughput ratios, cost per event as the store grows).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults, Engine, GrowthPoint, Group, ResultRow } from './results.js';

/** Markdown paragraphs written by a human, with no figures in them; inserted verbatim. */
export interface ReportProse {
  /** After the title and the generated-by line. */
  intro: string;
  /** After the profile tables in "Where the time goes". */
  whatDominates: string;
  /** After a group's table, keyed by group (`ingest`, `concurrent`, `file`, `read`, `catalog`, `real`, `bare`). */
  sections?: Record<string, string>;
}

const ENGINE_NAMES: Record<Engine, string> = { eventdb: 'eventdb', 'raw lmdb': 'raw lmdb', sqlite: 'SQLite', bare: 'bare' };

/** Okabe–Ito colours, one per engine, used by both charts. */
const ENGINE_COLORS: Record<Engine, string> = { eventdb: '#0072B2', 'raw lmdb': '#D55E00', sqlite: '#009E73', bare: '#CC79A7' };

const GROUP_HEADINGS: readonly [Group, string][] = [
  ['ingest', 'Ingest (`ingestBatch`)'],
  ['concurrent', 'Concurrent `ingest()`'],
  ['file', 'Bulk file ingest (`ingestFile`)'],
  ['read', 'Reads'],
  ['export', 'Change feed and export'],
  ['catalog', 'Catalog feed import and queries'],
  ['real', 'Real data: UCI Online Retail'],
  ['bare', 'Bare costs'],
];

// ---- numbers ----

/** Thousands separators and a fixed number of decimals. */
function num(x: number, decimals = 0): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Durations and the like: no decimals, one below 10. */
function approx(x: number): string {
  return num(x, Math.abs(x) < 10 ? 1 : 0);
}

/** A ratio with at most two decimals: `0.31×`, `2.4×`. */
export function formatRatio(ratio: number): string {
  return `${ratio.toLocaleString('en-US', { maximumFractionDigits: 2 })}×`;
}

/** A count in short form: 100k, 1M, 2.5M, 10M. */
export function formatCount(n: number): string {
  for (const [size, suffix] of [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (Math.abs(n) >= size) return `${Number((n / size).toPrecision(3))}${suffix}`;
  }
  return String(n);
}

/** An ISO timestamp in UTC without milliseconds; anything unparseable is shown as given. */
function isoUtc(when: string): string {
  const date = new Date(when);
  return Number.isNaN(date.getTime()) ? when : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---- markdown ----

/** A markdown table; `align` has one letter per column, `l` or `r`. */
function table(header: string[], rows: string[][], align = ''): string {
  const line = (cells: string[]): string => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (align[i] === 'r' ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function section(title: string, ...parts: (string | undefined)[]): string {
  return [`## ${title}`, ...parts.filter((part): part is string => part !== undefined && part.trim() !== '')].join('\n\n');
}

function machineSection(results: BenchResults): string {
  const m = results.machine;
  const rows = [
    ['cpu', m.cpu],
    ['cores', String(m.cores)],
    ['memory', `${m.memoryGiB.toLocaleString('en-US', { maximumFractionDigits: 1 })} GiB`],
    ['node', m.node],
    ['os', m.os],
    ['disk', m.disk],
    [
      'versions',
      Object.entries(m.versions)
        .map(([name, version]) => `${name} ${version}`)
        .join(', '),
    ],
    ['mode', results.mode],
    ['started', isoUtc(results.startedAt)],
    ['finished', isoUtc(results.finishedAt)],
  ];
  return section('Machine and run', table(['item', 'value'], rows), results.notes.map((note) => `- ${note}`).join('\n'));
}

function targetsSection(results: BenchResults): string | undefined {
  if (results.targets.length === 0) return undefined;
  const rows = results.targets.map((t) => [t.name, t.aim, t.measured, t.notMeasured === true ? '— not measured' : t.met ? '✅' : '❌ missed', t.why ?? '']);
  return section('Targets', table(['target', 'aim', 'measured', 'met', 'what limits it'], rows));
}

function ratiosCell(row: ResultRow): string {
  return row.ratios.length === 0 ? '—' : row.ratios.map((r) => `${formatRatio(r.ratio)} ${ENGINE_NAMES[r.engine]}`).join(', ');
}

/** `n` with its unit, and for rows that stream several events per call what each call streamed: `64 scans of 100,000 events`. */
function countCell(row: ResultRow): string {
  const count = `${num(row.n)} ${row.unit}`;
  if (row.rateUnit === undefined || row.perOp === undefined) return count;
  const exact = Number.isInteger(row.perOp);
  return `${count} of ${exact ? num(row.perOp) : num(row.perOp, 1)} ${row.rateUnit}${exact ? '' : ' on average'}`;
}

/** One group's table; when every row counts the same unit (one per row) it goes in the header, otherwise beside each `n`. */
function groupSection(heading: string, rows: ResultRow[], prose: string | undefined): string {
  const latency = rows.some((row) => row.latencyUs !== undefined);
  const oneUnit = new Set(rows.map((row) => row.unit)).size === 1 && rows.every((row) => row.rateUnit === undefined);
  const unit = oneUnit ? rows[0]?.unit : undefined;
  const n = unit === undefined ? 'n' : `n (${unit})`;
  const header = ['workload', 'engine', n, 'per s', 'ms', 'stored', ...(latency ? ['latency median / p99 µs'] : []), 'ratios'];
  const body = rows.map((row) => [
    row.engine === 'eventdb' ? `**${row.workload}**` : row.workload,
    ENGINE_NAMES[row.engine],
    unit === undefined ? countCell(row) : num(row.n),
    row.rateUnit === undefined ? num(Math.round(row.perSec)) : `${num(Math.round(row.perSec))} ${row.rateUnit}`,
    approx(row.ms),
    row.stored === undefined ? '—' : num(row.stored),
    ...(latency ? [row.latencyUs === undefined ? '—' : `${approx(row.latencyUs.median)} / ${approx(row.latencyUs.p99)}`] : []),
    ratiosCell(row),
  ]);
  return section(heading, table(header, body, `llrrrr${latency ? 'r' : ''}l`), prose);
}

interface Series {
  engine: Engine;
  workload: string;
  points: GrowthPoint[];
}

/** Growth points by (engine, workload), in first-seen order, each sorted by events stored. */
function growthSeries(growth: GrowthPoint[]): Series[] {
  const byKey = new Map<string, Series>();
  for (const point of growth) {
    const key = `${point.engine}\u0000${point.workload}`;
    const series = byKey.get(key) ?? { engine: point.engine, workload: point.workload, points: [] };
    series.points.push(point);
    byKey.set(key, series);
  }
  for (const series of byKey.values()) series.points.sort((a, b) => a.events - b.events);
  return [...byKey.values()];
}

/** 1, 2, 5 × 10^k between lo and hi. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const tick = m * 10 ** k;
      if (tick >= lo * (1 - 1e-9) && tick <= hi * (1 + 1e-9)) ticks.push(tick);
    }
  }
  return ticks;
}

/** Sizes within 5% of the one before kept count as one, shown by the first of them (the last group by its largest). */
function mergeNear(sizes: number[]): number[] {
  const kept: number[] = [];
  for (const size of [...sizes].sort((a, b) => a - b)) if (kept.length === 0 || size > kept.at(-1)! * 1.05) kept.push(size);
  if (kept.length > 0) kept[kept.length - 1] = Math.max(...sizes);
  return kept;
}

/** The table's store sizes: all of them when few, else the first, the last and those nearest the 1-2-5 steps between. */
function growthColumns(growth: GrowthPoint[]): number[] {
  const all = [...new Set(growth.map((p) => p.events))].sort((a, b) => a - b);
  const merged = mergeNear(all);
  if (merged.length <= 10) return merged;
  const nearest = (tick: number): number => all.reduce((best, size) => (Math.abs(Math.log(size / tick)) < Math.abs(Math.log(best / tick)) ? size : best));
  return mergeNear([all[0]!, ...logTicks(all[0]!, all.at(-1)!).map(nearest), all.at(-1)!]);
}

/** The series' point nearest `size` (in log terms), if one is within a factor of 1.25 of it. */
function nearestPoint(points: GrowthPoint[], size: number): GrowthPoint | undefined {
  const distance = (p: GrowthPoint): number => Math.abs(Math.log(p.events / size));
  const best = points.reduce<GrowthPoint | undefined>((found, p) => (found === undefined || distance(p) < distance(found) ? p : found), undefined);
  return best !== undefined && distance(best) <= Math.log(1.25) ? best : undefined;
}

function growthSection(results: BenchResults): string | undefined {
  if (results.growth.length === 0) return undefined;
  const columns = growthColumns(results.growth);
  const rows = growthSeries(results.growth).map(({ engine, workload, points }) => {
    const first = points[0]!;
    const last = points.at(-1)!;
    const cells = columns.map((size) => {
      const point = nearestPoint(points, size);
      return point === undefined ? '—' : num(point.usPerEvent, 2);
    });
    return [engine === 'eventdb' ? `**${workload}**` : workload, ENGINE_NAMES[engine], ...cells, `${num(last.usPerEvent / first.usPerEvent, 2)}×`];
  });
  const header = ['workload', 'engine', ...columns.map(formatCount), 'last ÷ first'];
  const growthTable = table(header, rows, `ll${'r'.repeat(columns.length + 1)}`);
  return section('Cost per event as the store grows', '![growth](benchmarks-growth.svg)', 'µs per event at each number of events stored:', growthTable);
}

function diskSection(results: BenchResults): string | undefined {
  if (results.disk.length === 0) return undefined;
  const rows = results.disk.map((d) => [d.workload, ENGINE_NAMES[d.engine], num(d.events), num(d.bytes), approx(d.bytesPerEvent)]);
  return section('Size on disk', table(['workload', 'engine', 'events', 'bytes', 'bytes per event'], rows, 'llrrr'));
}

function profileSection(results: BenchResults, prose: ReportProse): string | undefined {
  const profile = results.profile;
  if (profile === undefined) return undefined;
  const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
  const summary = `Profiled ingest of ${num(profile.events)} events, projections ${profile.projections ? 'on' : 'off'}: ${num(profile.wallMs)} ms wall time.`;
  const parts = table(
    ['part', 'ms', 'share', 'µs per event'],
    profile.parts.map((p) => [p.part, num(p.ms), percent(p.share), num(p.usPerEvent, 2)]),
    'lrrr',
  );
  const functions = table(
    ['function', 'where', 'ms', 'share'],
    profile.topFunctions.map((f) => [`\`${f.name}\``, f.where === '' ? '—' : `\`${f.where}\``, num(f.ms), percent(f.share)]),
    'llrr',
  );
  const steps =
    profile.steps === undefined
      ? undefined
      : table(
          ['step of the write calls', 'ms', 'µs per event'],
          profile.steps.map((s) => [s.step, num(s.ms), num(s.usPerEvent, 2)]),
          'lrr',
        );
  return section(
    'Where the time goes',
    summary,
    parts,
    'Heaviest functions (self time):',
    functions,
    steps === undefined
      ? undefined
      : 'Time inside each step of the writer (inclusive: a step counts what it calls, so the fold and the checkpoints are inside the stage):',
    steps,
    prose.whatDominates,
  );
}

/** The whole of docs/benchmarks.md. */
export function renderMarkdown(results: BenchResults, prose: ReportProse): string {
  const groups = GROUP_HEADINGS.flatMap(([group, heading]) => {
    const rows = results.rows.filter((row) => row.group === group);
    return rows.length === 0 ? [] : [groupSection(heading, rows, prose.sections?.[group])];
  });
  const parts = [
    '# Benchmarks',
    `Generated by \`${results.command}\` from \`bench/results.json\` — do not edit by hand.`,
    prose.intro,
    machineSection(results),
    targetsSection(results),
    ratioItems(results).length > 0 ? '![throughput ratios](benchmarks-throughput.svg)' : undefined,
    ...groups,
    growthSection(results),
    diskSection(results),
    profileSection(results, prose),
  ];
  return `${parts.filter((part): part is string => part !== undefined && part.trim() !== '').join('\n\n')}\n`;
}

// ---- SVG ----

const WIDTH = 900;
const HALO = 'paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round"';

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Coordinates to a tenth of a pixel. */
function px(x: number): number {
  return Math.round(x * 10) / 10;
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs === '' ? '' : ` ${attrs}`}>${esc(content)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" ${attrs}/>`;
}

function dashArray(dash: string): string {
  return dash === '' ? '' : ` stroke-dasharray="${dash}"`;
}

function truncate(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

function svg(height: number, body: string[]): string {
  const font = `font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"`;
  const size = `width="${WIDTH}" height="${px(height)}" viewBox="0 0 ${WIDTH} ${px(height)}"`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" ${size} ${font} font-size="12" fill="#24292f">`,
    `<rect width="${WIDTH}" height="${px(height)}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function emptySvg(message: string): string {
  return svg(60, [text(WIDTH / 2, 34, message, 'text-anchor="middle" fill="#57606a" font-size="14"')]);
}

/** Ticks 0, step, … up to the first nice step at or above max. */
function linearTicks(max: number, count = 5): number[] {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  return Array.from({ length: Math.ceil(max / step - 1e-9) + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

function tickLabel(tick: number, step: number): string {
  return num(tick, Math.max(0, -Math.floor(Math.log10(step))));
}

const RATIO_BARS = [
  { engine: 'raw lmdb', name: '× raw lmdb' },
  { engine: 'sqlite', name: '× SQLite' },
] as const;

interface RatioItem {
  label: string;
  bars: { engine: Engine; ratio: number }[];
}

/** eventdb rows with a ratio to raw lmdb or SQLite, the first 30 in row order. */
function ratioItems(results: BenchResults): RatioItem[] {
  return results.rows
    .filter((row) => row.engine === 'eventdb')
    .map((row) => ({
      label: `${row.workload} (${formatCount(row.n)})`,
      bars: RATIO_BARS.flatMap(({ engine }) =>
        row.ratios
          .filter((r) => r.engine === engine)
          .slice(0, 1)
          .map((r) => ({ engine, ratio: r.ratio })),
      ),
    }))
    .filter((item) => item.bars.length > 0)
    .slice(0, 30);
}

function legend(x: number, y: number, entries: { label: string; color: string; dash?: string }[], columnWidth: number, columns: number): string[] {
  return entries.flatMap(({ label, color, dash }, i) => {
    const [ex, ey] = [x + (i % columns) * columnWidth, y + Math.floor(i / columns) * 18];
    const swatch =
      dash === undefined
        ? `<rect x="${px(ex)}" y="${px(ey - 9)}" width="14" height="10" fill="${color}"/>`
        : line(ex, ey - 4, ex + 22, ey - 4, `stroke="${color}" stroke-width="2.5"${dashArray(dash)}`);
    return [swatch, text(ex + (dash === undefined ? 20 : 28), ey, truncate(label, Math.floor(columnWidth / 6.5) - 5))];
  });
}

/** Horizontal bars: each eventdb workload's throughput as a multiple of raw lmdb's and SQLite's, with the 1.0 baseline. */
export function renderThroughputSvg(results: BenchResults): string {
  const items = ratioItems(results);
  if (items.length === 0) return emptySvg('no ratio data');
  const [left, right, top, barHeight, barGap] = [20, 60, 76, 12, 3];
  const ticks = linearTicks(Math.max(1, ...items.flatMap((item) => item.bars.map((b) => b.ratio))) * 1.08);
  const x = (v: number): number => left + (v / ticks.at(-1)!) * (WIDTH - left - right);
  const body: string[] = [];
  let y = top;
  for (const item of items) {
    body.push(text(left, y + 12, truncate(item.label, 130), HALO));
    item.bars.forEach(({ engine, ratio }, i) => {
      const barTop = y + 18 + i * (barHeight + barGap);
      body.push(`<rect x="${left}" y="${px(barTop)}" width="${px(Math.max(1, x(ratio) - left))}" height="${barHeight}" fill="${ENGINE_COLORS[engine]}"/>`);
      body.push(text(x(ratio) + 4, barTop + 10, formatRatio(ratio), `font-size="11" ${HALO}`));
    });
    y += 18 + item.bars.length * (barHeight + barGap) + 9;
  }
  const grid = ticks.flatMap((tick) => [
    line(x(tick), top - 4, x(tick), y, 'stroke="#d0d7de" stroke-width="1"'),
    text(x(tick), y + 16, `${tickLabel(tick, ticks[1]!)}×`, 'text-anchor="middle" fill="#57606a" font-size="11"'),
  ]);
  return svg(y + 44, [
    text(left, 24, 'eventdb throughput as a multiple of each baseline (higher is better)', 'font-size="15" font-weight="600"'),
    ...legend(
      left,
      50,
      RATIO_BARS.map(({ engine, name }) => ({ label: name, color: ENGINE_COLORS[engine] })),
      140,
      2,
    ),
    ...grid,
    line(left, y, WIDTH - right, y, 'stroke="#57606a" stroke-width="1"'),
    line(x(1), top - 10, x(1), y, 'stroke="#24292f" stroke-width="1.5" stroke-dasharray="5 3"'),
    text(x(1) + 5, top - 2, 'baseline', `font-size="11" font-weight="600" ${HALO}`),
    ...body,
    text(left + (WIDTH - left - right) / 2, y + 36, 'throughput ÷ baseline throughput, same run', 'text-anchor="middle" fill="#57606a"'),
  ]);
}

/** Lines of µs per event against events stored (log scale), one per engine and workload; colour by engine, dash by workload. */
export function renderGrowthSvg(results: BenchResults): string {
  const series = growthSeries(results.growth);
  if (series.length === 0) return emptySvg('no growth data');
  const [left, right, top, plotHeight] = [70, 30, 48, 340];
  const events = results.growth.map((p) => p.events);
  // Whole decades, ignoring a sliver past one (10,000,014 events still ends the axis at 10M).
  const lo = 10 ** Math.floor(Math.log10(Math.min(...events)) + 0.005);
  const hi = Math.max(10 ** Math.ceil(Math.log10(Math.max(...events)) - 0.005), lo * 10);
  const yTicks = linearTicks(Math.max(...results.growth.map((p) => p.usPerEvent)) * 1.05 || 1);
  const x = (v: number): number => left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (WIDTH - left - right);
  const y = (v: number): number => top + plotHeight - (v / yTicks.at(-1)!) * plotHeight;
  const bottom = top + plotHeight;
  const dashes = ['', '7 4', '2 3', '9 3 2 3'];
  const seen = new Map<Engine, number>();
  const styled = series.map((s) => {
    const index = seen.get(s.engine) ?? 0;
    seen.set(s.engine, index + 1);
    return { ...s, color: ENGINE_COLORS[s.engine], dash: dashes[index % dashes.length]! };
  });
  const body = [
    text(left, 26, 'Cost per event as the store grows (lower is better)', 'font-size="15" font-weight="600"'),
    ...logTicks(lo, hi).flatMap((tick) => [
      line(x(tick), top, x(tick), bottom, 'stroke="#d0d7de" stroke-width="1"'),
      text(x(tick), bottom + 16, formatCount(tick), 'text-anchor="middle" fill="#57606a" font-size="11"'),
    ]),
    ...yTicks.flatMap((tick) => [
      line(left, y(tick), WIDTH - right, y(tick), 'stroke="#d0d7de" stroke-width="1"'),
      text(left - 6, y(tick) + 4, tickLabel(tick, yTicks[1]!), 'text-anchor="end" fill="#57606a" font-size="11"'),
    ]),
    line(left, bottom, WIDTH - right, bottom, 'stroke="#57606a" stroke-width="1"'),
    line(left, top, left, bottom, 'stroke="#57606a" stroke-width="1"'),
    text(left + (WIDTH - left - right) / 2, bottom + 36, 'events stored (log scale)', 'text-anchor="middle" fill="#57606a"'),
    `<text transform="rotate(-90)" x="${px(-(top + plotHeight / 2))}" y="20" text-anchor="middle" fill="#57606a">µs per event</text>`,
    ...styled.flatMap(({ points, color, dash }) => [
      `<path d="${points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(x(p.events))} ${px(y(p.usPerEvent))}`).join(' ')}" fill="none" stroke="${color}"` +
        ` stroke-width="2" stroke-linejoin="round"${dashArray(dash)}/>`,
      ...(points.length <= 40 ? points.map((p) => `<circle cx="${px(x(p.events))}" cy="${px(y(p.usPerEvent))}" r="2.5" fill="${color}"/>`) : []),
    ]),
    ...legend(
      left,
      bottom + 62,
      styled.map((s) => ({ label: `${ENGINE_NAMES[s.engine]} — ${s.workload}`, color: s.color, dash: s.dash })),
      410,
      2,
    ),
  ];
  return svg(bottom + 62 + Math.ceil(styled.length / 2) * 18, body);
}

/** Writes benchmarks.md, benchmarks-throughput.svg and benchmarks-growth.svg into docsDir. */
export function writeReport(results: BenchResults, docsDir: string, prose: ReportProse): void {
  mkdirSync(docsDir, { recursive: true });
  writeFileSync(join(docsDir, 'benchmarks.md'), renderMarkdown(results, prose));
  writeFileSync(join(docsDir, 'benchmarks-throughput.svg'), renderThroughputSvg(results));
  writeFileSync(join(docsDir, 'benchmarks-growth.svg'), renderGrowthSvg(results));
}

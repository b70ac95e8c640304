// Every benchmark scenario runs once on a tiny input, and every comparison is apples to apples: each baseline stored what eventdb stored.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBenchmarks, targets } from '../../bench/run.js';
import { CONFIGS } from '../../bench/suite/config.js';
import { UCI_SLICE, uciInput } from '../../bench/suite/suite.js';
import { writeReport } from '../../bench/suite/report.js';
import { PROSE } from '../../bench/suite/report-prose.js';
import type { BenchResults } from '../../bench/suite/results.js';

describe('benchmark suite (tiny inputs, untimed)', () => {
  let results: BenchResults;

  beforeAll(async () => {
    results = await runBenchmarks(CONFIGS.tiny, 'test');
  }, 120_000);

  it('runs every workload of the issue, each with its baselines', () => {
    const groups = new Set(results.rows.map((row) => row.group));
    expect([...groups].sort()).toEqual(['bare', 'catalog', 'concurrent', 'export', 'file', 'ingest', 'read', 'real']);
    const ids = results.rows.map((row) => row.id);
    for (const suffix of [
      '/b1/dup0/durable/projections',
      '/b100/dup0/durable/projections',
      '/dup20/durable/projections',
      '/dup0/relaxed/projections',
      '/b10000/dup0/durable/core',
    ]) {
      expect(
        ids.some((id) => id.endsWith(suffix)),
        suffix,
      ).toBe(true);
    }
    for (const workers of CONFIGS.tiny.workers) expect(ids.some((id) => id.endsWith(`/workers${workers}`))).toBe(true);
    for (const read of ['/getEvent', '/getProfile', '/events-first100', '/events-heavy', '/query'])
      expect(
        ids.some((id) => id.endsWith(read)),
        read,
      ).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('compares every eventdb ingest with raw lmdb and SQLite of the same run', () => {
    const ingests = results.rows.filter((row) => row.engine === 'eventdb' && (row.group === 'ingest' || row.group === 'real'));
    expect(ingests.length).toBeGreaterThan(5);
    for (const row of ingests) {
      const engines = row.ratios.map((ratio) => ratio.engine).sort();
      expect(engines, row.id).toEqual(['raw lmdb', 'sqlite']);
    }
  });

  it('every baseline stored exactly what the job it is compared with stored', () => {
    const byId = new Map(results.rows.map((row) => [row.id, row]));
    let compared = 0;
    for (const row of results.rows) {
      for (const { to } of row.ratios) {
        const baseline = byId.get(to)!;
        expect(baseline, to).toBeDefined();
        if (row.stored === undefined || baseline.stored === undefined) continue;
        expect({ id: row.id, stored: baseline.stored }).toEqual({ id: row.id, stored: row.stored });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(15);
  });

  it('stores what was fed, less the duplicates', () => {
    for (const row of results.rows.filter((r) => r.stored !== undefined && !r.id.includes('/dup20/') && r.group !== 'real')) {
      expect(row.stored, row.id).toBe(row.n);
    }
    const dup = results.rows.find((row) => row.id.endsWith('/dup20/durable/projections'))!;
    expect(dup.stored).toBeLessThan(dup.n);
    expect(dup.stored).toBeGreaterThan(dup.n * 0.6);
  });

  it('times the export to files next to a full changes() scan of the same log', () => {
    const exports = results.rows.filter((row) => row.group === 'export');
    expect(exports.map((row) => row.id.split('/').pop())).toEqual(['scan', 'parquet', 'ndjson']);
    const scan = exports[0]!;
    for (const row of exports.slice(1)) expect(row.ratios, row.id).toEqual([{ to: scan.id, engine: 'eventdb', ratio: expect.any(Number) as number }]);
  });

  it('measures reads with latency, growth slices, bytes on disk and every target', () => {
    for (const row of results.rows.filter((r) => r.group === 'read')) expect(row.latencyUs?.median, row.id).toBeGreaterThan(0);
    expect(results.growth.filter((g) => g.engine === 'eventdb').length).toBeGreaterThan(0);
    expect(results.disk.map((d) => d.engine).sort()).toEqual(['eventdb', 'raw lmdb', 'sqlite']);
    expect(results.targets).toHaveLength(12);
  });

  it('reads the UCI data from the slice in the repository, and says so', () => {
    expect(uciInput(CONFIGS.tiny).file).toBe(UCI_SLICE);
    const real = results.rows.filter((row) => row.group === 'real');
    expect(real.length).toBe(3);
    for (const row of real) expect(row.n, row.id).toBe(CONFIGS.tiny.uciLines);
    expect(results.notes.some((note) => note.includes('test/fixtures/realdata/online-retail-uci'))).toBe(true);
    // The concurrent rows' context: the disk's flush latency just before them.
    expect(results.notes.some((note) => /^Disk flush latency before the concurrent group: median \d+(\.\d+)? ms/.test(note))).toBe(true);
  });

  it('falls back to the slice when the full UCI set is missing, and says that it skipped it', () => {
    const input = uciInput({ uciFullSet: true, uciLines: 541_909 }, join(tmpdir(), 'no-such-dir', 'online-retail.csv.gz'));
    expect(input.file).toBe(UCI_SLICE);
    expect(input.lines).toBe(2_000);
    expect(input.note).toMatch(
      /full set not found at .*no-such-dir.*: skipped \(the 2,000-line slice in test\/fixtures\/realdata\/online-retail-uci\/.* is used instead/,
    );
  });

  it('labels streamed reads as calls or scans of so many events, and the rate as events', () => {
    const scans = results.rows.filter((row) => row.id.includes('/events-heavy'));
    expect(scans).toHaveLength(2);
    for (const row of scans) expect(row, row.id).toMatchObject({ unit: 'scans', rateUnit: 'events', perOp: CONFIGS.tiny.heavyProfileEvents });
    const firsts = results.rows.filter((row) => row.id.includes('/events-first100'));
    expect(firsts).toHaveLength(2);
    for (const row of firsts) {
      expect(row, row.id).toMatchObject({ unit: 'calls', rateUnit: 'events' });
      expect(row.perOp).toBeGreaterThan(0);
      expect(row.perOp).toBeLessThanOrEqual(100);
    }
  });

  it('judges a target only from a run at its own size: the 10M growth aim is not measured by a small run', () => {
    const growth = results.targets.find((t) => t.name.includes('10M'))!;
    expect(growth).toMatchObject({ met: false, notMeasured: true });
    expect(growth.measured).toMatch(/^not measured at 10M \(600 run: [\d.]+×/);
  });

  it('judges every target only at its own size: a tiny run measures them all, and judges none', () => {
    for (const t of results.targets) expect(t, t.name).toMatchObject({ met: false, notMeasured: true });
    expect(results.recovery).toMatchObject({ tailIngested: CONFIGS.tiny.recoveryTail, replayed: CONFIGS.tiny.recoveryTail });
    const open = results.targets.find((t) => t.name.startsWith('open after a SIGKILL'))!;
    expect(open.measured).toMatch(/^not measured at 10M \(.* run: [\d.]+ s \(the median of 2 opens, [\d.]+, [\d.]+ s; 300 records replayed\)\)$/);
  });

  it('times the open after a SIGKILL several times, each replaying the same records, and reports the median', () => {
    const runs = results.recovery!.openRunsMs!;
    expect(runs).toHaveLength(CONFIGS.tiny.repeats);
    expect(results.recovery!.openMs).toBe(Math.round((runs[0]! + runs[1]!) / 2));
  });

  it('judges the recovery targets from a store of 10M events, and marks figures an older results.json lacks', () => {
    const base = { rows: results.rows, growth: results.growth, disk: results.disk };
    const at = (events: number, openMs: number): ReturnType<typeof targets> =>
      targets({ ...base, recovery: { events, tailIngested: 190_000, replayed: 190_000, openMs, writerRssAnonBytes: 450e6, writerPeakRssAnonBytes: 600e6 } });
    const named = (list: ReturnType<typeof targets>, prefix: string) => list.find((t) => t.name.startsWith(prefix))!;
    expect(named(at(10_190_000, 1500), 'open after a SIGKILL')).toMatchObject({ met: true, measured: '1.50 s (190,000 records replayed)' });
    expect(named(at(10_190_000, 1500), 'writer memory')).toMatchObject({ met: false, measured: expect.stringMatching(/^600 MB/) as unknown });
    expect(named(at(10_190_000, 1500), 'writer memory').why).toBeTruthy();
    const capped = targets({
      ...base,
      recovery: {
        events: 10_190_000,
        tailIngested: 190_000,
        replayed: 40_000,
        openMs: 1500,
        writerRssAnonBytes: 450e6,
        writerPeakRssAnonBytes: 600e6,
        cappedWriter: { nodeFlag: '--max-old-space-size=384', peakRssAnonBytes: 400e6 },
      },
    });
    expect(named(capped, 'writer memory')).toMatchObject({
      met: true,
      measured: expect.stringMatching(/^400 MB with `--max-old-space-size=384`.*; 600 MB without it/) as unknown,
    });
    expect(named(at(9_000_000, 1500), 'open after a SIGKILL')).toMatchObject({ met: false, notMeasured: true });
    const old = targets(base);
    expect(named(old, 'open after a SIGKILL')).toMatchObject({ measured: 'not measured', notMeasured: true });
    const noP99 = results.rows.map((row) => (row.id.endsWith('/getProfile') ? { ...row, latencyUs: { median: 10 } as { median: number; p99: number } } : row));
    expect(named(targets({ ...base, rows: noP99 }), 'getProfile p99')).toMatchObject({ measured: 'not measured', notMeasured: true });
  });

  it('renders the report and the charts from the results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventdb-report-'));
    try {
      writeReport(results, dir, PROSE);
      const markdown = readFileSync(join(dir, 'benchmarks.md'), 'utf8');
      expect(markdown).toContain('# Benchmarks');
      expect(markdown).toContain('getEvent(random eventId)');
      expect(markdown).toContain('benchmarks-throughput.svg');
      expect(markdown).toContain(`scans of ${CONFIGS.tiny.heavyProfileEvents} events`);
      expect(markdown).toMatch(/\| cost per event at 10M events stored vs at 100k \| ≤ 1\.5× \| not measured at 10M .*\| — not measured \|/);
      for (const svg of ['benchmarks-throughput.svg', 'benchmarks-growth.svg']) {
        const text = readFileSync(join(dir, svg), 'utf8');
        expect(text.startsWith('<svg')).toBe(true);
        expect(text.trimEnd().endsWith('</svg>')).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

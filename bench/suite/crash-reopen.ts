// Open after a SIGKILL, and the writer's memory outside the map: a child process opens a grown store with default
// settings, ingests a tail of new events (durable, several checkpoints' worth), reports its RssAnon (the highest seen
// after any batch, and after a last GC) and is killed with SIGKILL; other children then time `EventDB.open` of the
// store in turn, each replaying the records after the last checkpoint (all but the last close without a checkpoint, so
// each replays the same records); a last one, run with the V8 heap cap the docs give, ingests as many new events and
// reports its highest RssAnon.
// Run as a script (by `crashReopen` only): `node --import tsx bench/suite/crash-reopen.ts write <dir> <events> <seed>` or
// `... open <dir> <checkpoint|keep>`.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { generateEvents } from '../../src/demo/dataset.js';
import { openStore } from './eventdb-jobs.js';
import { median } from './recorder.js';
import type { RecoveryPoint } from './results.js';

const BATCH = 10_000;

/** What the writer child prints once its tail is stored. */
interface WriterReport {
  stored: number;
  /** The highest RssAnon read after each acknowledged batch (no GC forced). */
  peakRssAnonBytes: number;
  /** RssAnon after the last batch and a full GC. */
  rssAnonBytes: number;
}

/** What the opener child prints. */
interface OpenReport {
  openMs: number;
  events: number;
  replayed: number;
}

function rssAnonBytes(): number {
  const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/**
 * Runs this file as a child (with `nodeFlags` besides the loader's) with `args` and resolves with its first JSON
 * line; `kill` sends it SIGKILL after that line.
 */
function child<T>(args: string[], kill: boolean, nodeFlags: readonly string[] = []): Promise<T> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', ...nodeFlags, import.meta.filename, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<T>((resolve, reject) => {
    let report: T | undefined;
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (report !== undefined || !line.startsWith('{')) return;
      report = JSON.parse(line) as T;
      if (kill) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => {
      if (report !== undefined && (code === 0 || signal === 'SIGKILL')) resolve(report);
      else reject(new Error(`crash-reopen ${args[0]} child: exit ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/** The V8 heap cap `docs/api.md` ("Memory") gives for a writer whose memory must stay bounded. */
export const HEAP_CAP_FLAG = '--max-old-space-size=384';

/**
 * Grows the (closed) store at `dir` by `tail` events in a writer child killed with SIGKILL once they are all
 * acknowledged, then times the open that recovers it in `opens` children one after the other (the median is the
 * figure; each but the last closes without a checkpoint, so the next replays the same records); then a writer child
 * run with `HEAP_CAP_FLAG` ingests `tail` more and is killed too (the store is left to be replayed: nothing opens it
 * after).
 */
export async function crashReopen(dir: string, tail: number, opens = 1): Promise<RecoveryPoint> {
  const writer = await child<WriterReport>(['write', dir, String(tail), '1000003'], true);
  const reports: OpenReport[] = [];
  for (let i = 0; i < opens; i++) reports.push(await child<OpenReport>(['open', dir, i === opens - 1 ? 'checkpoint' : 'keep'], false));
  const opened = reports.at(-1)!;
  if (reports.some((report) => report.replayed !== opened.replayed)) throw new Error(`the opens replayed ${reports.map((r) => r.replayed).join(', ')} records`);
  const openRunsMs = reports.map((report) => report.openMs);
  // Events of its own (other seeds, and eventIds prefixed with the seed): the first writer's would be duplicates.
  const capped = await child<WriterReport>(['write', dir, String(tail), '2000003'], true, [HEAP_CAP_FLAG]);
  if (capped.stored !== opened.events + tail) throw new Error(`the capped writer stored ${capped.stored - opened.events} new events of ${tail}`);
  return {
    events: opened.events,
    tailIngested: tail,
    replayed: opened.replayed,
    openMs: Math.round(median(openRunsMs)),
    openRunsMs,
    writerRssAnonBytes: writer.rssAnonBytes,
    writerPeakRssAnonBytes: writer.peakRssAnonBytes,
    cappedWriter: { nodeFlag: HEAP_CAP_FLAG, peakRssAnonBytes: capped.peakRssAnonBytes },
  };
}

/**
 * Ingests `tail` events in batches of 10,000, each generated just before it is sent (so the child holds one batch,
 * not the tail), timed after the store's own events.
 */
async function writeAndWait(dir: string, tail: number, seed: number): Promise<void> {
  const db = await openStore(dir);
  const startMs = Date.UTC(2024, 0, 1) + db.stats().events * 20;
  let peakRssAnonBytes = 0;
  for (let done = 0; done < tail; done += BATCH) {
    const size = Math.min(BATCH, tail - done);
    const batch = generateEvents(size, { seed: seed + done, startMs: startMs + done * 20 });
    // The generator's streams of nearby seeds overlap: its eventIds repeat across writers unless told apart.
    for (const event of batch) event['eventId'] = `w${seed}-${event['eventId'] as string}`;
    await db.ingestBatch(batch);
    peakRssAnonBytes = Math.max(peakRssAnonBytes, rssAnonBytes());
  }
  global.gc?.();
  const report: WriterReport = { stored: db.stats().events, peakRssAnonBytes, rssAnonBytes: rssAnonBytes() };
  console.log(JSON.stringify(report));
  // Stay open until the parent's SIGKILL: no close, so no checkpoint at close.
  setInterval(() => {}, 60_000);
}

/** Times the open with default settings; `checkpointAtClose` false leaves the tail as the crash left it for the next open. */
async function timeOpen(dir: string, checkpointAtClose: boolean): Promise<void> {
  const started = performance.now();
  const db = await openStore(dir, { checkpointAtClose });
  const openMs = performance.now() - started;
  const { events, lastSeq } = db.stats();
  // The records the open replayed: those after the last checkpoint (bench code may look inside).
  const replayed = lastSeq - db['storage'].checkpointPosition();
  await db.close();
  const report: OpenReport = { openMs: Math.round(openMs), events, replayed };
  console.log(JSON.stringify(report));
}

if (process.argv[1] === import.meta.filename) {
  const [mode, dir, third, seed] = process.argv.slice(2);
  if (mode === 'write') await writeAndWait(dir!, Number(third), Number(seed));
  else if (mode === 'open') await timeOpen(dir!, third !== 'keep');
  else throw new Error(`unknown mode ${mode}`);
}

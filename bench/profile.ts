// Profiles the main ingest path: a child process ingests generated events under `node --cpu-prof`;
// the profile's self time is summarised by part of the code (ours, lmdb-js, msgpackr, GC, idle), and the time
// inside each step of the writer's calls (validation, the fold, the log append, each checkpoint) by step.
// Run alone: npx tsx bench/profile.ts [--events=300000] [--core]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface ProfilePart {
  part: string;
  ms: number;
  share: number;
  usPerEvent: number;
}

/** The time inside one step of the writer's calls, whatever it calls (inclusive time). */
export interface ProfileStep {
  step: string;
  ms: number;
  usPerEvent: number;
}

export interface ProfileSummary {
  events: number;
  projections: boolean;
  wallMs: number;
  parts: ProfilePart[];
  topFunctions: { name: string; where: string; ms: number; share: number }[];
  /** Absent in results written before it was measured. */
  steps?: ProfileStep[];
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the code a profile frame belongs to; the first matching rule wins. */
const PARTS: readonly [string, (name: string, url: string) => boolean][] = [
  ['garbage collection', (name) => name === '(garbage collector)'],
  ['idle (waiting for commits)', (name) => name === '(idle)'],
  ['lmdb-js write backpressure (Atomics.wait)', (name, url) => name === 'wait' || (url.includes('lmdb') && name.includes('wait'))],
  // lmdb-js carries its own msgpackr (node_modules/lmdb/node_modules/msgpackr): test for msgpackr first.
  ['msgpackr (encoding, decoding)', (_, url) => url.includes('node_modules/msgpackr/')],
  ['lmdb-js (puts, gets, key encoding)', (_, url) => url.includes('node_modules/lmdb/')],
  ['validation', (_, url) => url.includes('/src/schema/')],
  ['dedupe (hash, Bloom, pending map)', (_, url) => /\/src\/storage\/(dedupe-set|hash|bloom)\.ts/.test(url) || url.includes('xxhash')],
  ['projections and identity', (_, url) => url.includes('/src/projections/') || url.includes('/src/identity/')],
  ['log, index keys, storage', (_, url) => url.includes('/src/storage/') || url.includes('/src/ingest/')],
  ['benchmark driver (event generation)', (_, url) => url.includes('/src/demo/') || url.includes('/bench/')],
  ['V8 and Node internals', () => true],
];

/**
 * The writer's steps, by the function that runs each (its name and the end of its file's path). A step nested in
 * another (the fold inside the stage) counts in both; a function that calls itself counts once.
 */
const STEPS: readonly [step: string, name: string, file: string][] = [
  ['write call: stage and commit (`Storage.transact`)', 'transact', '/src/storage/storage.ts'],
  ['the synchronous stage (`BatchWriter.stage`)', 'stage', '/src/ingest/batch-writer.ts'],
  ['validation', 'validateRecord', '/src/schema/validate.ts'],
  ['the fold (`Projector.apply`)', 'apply', '/src/projections/projector.ts'],
  ['the log append and index keys (`BatchWriter.append`)', 'append', '/src/ingest/batch-writer.ts'],
  ['the derived checkpoint', 'writeCheckpoint', '/src/storage/derived-store.ts'],
  ['the index checkpoint', 'writeCheckpoint', '/src/storage/event-index.ts'],
  ['the dedupe checkpoint', 'writeCheckpoint', '/src/storage/dedupe-set.ts'],
];

/** Per node, a bit per step it runs inside (its own function's or an ancestor's). */
function stepMasks(byId: ReadonlyMap<number, CpuProfileNode>): Map<number, number> {
  const hasParent = new Set<number>();
  for (const node of byId.values()) for (const kid of node.children ?? []) hasParent.add(kid);
  const masks = new Map<number, number>();
  const stack: [number, number][] = [...byId.keys()].filter((id) => !hasParent.has(id)).map((id) => [id, 0]);
  while (stack.length > 0) {
    const [id, above] = stack.pop()!;
    const node = byId.get(id)!;
    const { functionName, url } = node.callFrame;
    let mask = above;
    STEPS.forEach(([, name, file], i) => {
      if (functionName === name && url.endsWith(file)) mask |= 1 << i;
    });
    masks.set(id, mask);
    for (const kid of node.children ?? []) stack.push([kid, mask]);
  }
  return masks;
}

/** Self time per part and the heaviest functions of one `.cpuprofile`, and the time inside each step of the writer. */
export function summariseProfile(profile: CpuProfile, events: number, projections: boolean, wallMs: number, skipMs = 0): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  let elapsed = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    elapsed += delta;
    if (elapsed < skipMs) continue;
    const id = profile.samples[i]!;
    selfMs.set(id, (selfMs.get(id) ?? 0) + delta);
  }
  let total = 0;
  for (const ms of selfMs.values()) total += ms;
  const parts = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; ms: number }>();
  const masks = stepMasks(byId);
  const stepMs = STEPS.map(() => 0);
  for (const [id, ms] of selfMs) {
    const mask = masks.get(id) ?? 0;
    for (let i = 0; i < STEPS.length; i++) if ((mask & (1 << i)) !== 0) stepMs[i]! += ms;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const part = PARTS.find(([, matches]) => matches(functionName, url))![0];
    parts.set(part, (parts.get(part) ?? 0) + ms);
    const where = url === '' ? '' : `${url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${functionName}@${where}`;
    const entry = functions.get(key) ?? { name: functionName || '(anonymous)', where, ms: 0 };
    entry.ms += ms;
    functions.set(key, entry);
  }
  const round = (x: number, digits: number): number => Number(x.toFixed(digits));
  return {
    events,
    projections,
    wallMs: round(wallMs, 0),
    parts: [...parts]
      .map(([part, ms]) => ({ part, ms: round(ms, 0), share: round(ms / total, 3), usPerEvent: round((ms * 1000) / events, 2) }))
      .sort((a, b) => b.ms - a.ms),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 15)
      .map((f) => ({ ...f, ms: round(f.ms, 0), share: round(f.ms / total, 3) })),
    steps: STEPS.map(([step], i) => ({ step, ms: round(stepMs[i]!, 0), usPerEvent: round((stepMs[i]! * 1000) / events, 2) })),
  };
}

/** Ingests `events` generated events in a child under `--cpu-prof` and summarises its profile (ingest time only). */
export function profileIngest(events: number, projections: boolean): ProfileSummary {
  const dir = mkdtempSync(join(tmpdir(), 'eventdb-profile-'));
  try {
    const child = spawnSync(
      process.execPath,
      [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        '--max-old-space-size=8192',
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        `--events=${events}`,
        ...(projections ? [] : ['--core']),
        `--dir=${dir}`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (child.status !== 0) throw new Error(`profile child failed with status ${child.status}`);
    const { setupMs, ingestMs } = JSON.parse(child.stdout.trim().split('\n').pop()!) as { setupMs: number; ingestMs: number };
    // tsx's loader thread writes a profile too: the main thread's is the largest.
    const file = readdirSync(dir)
      .filter((name) => name.endsWith('.cpuprofile'))
      .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0]!;
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const summary = summariseProfile(profile, events, projections, ingestMs, setupMs);
    return summary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The profiled child: generate, then ingest in batches of 10,000 with two in flight; prints its timings as JSON. */
async function child(events: number, projections: boolean, dir: string): Promise<void> {
  const { EventDB } = await import('../src/index.js');
  const { generateEvents } = await import('../src/demo/dataset.js');
  const records = generateEvents(events);
  const db = await EventDB.open({ path: join(dir, 'store') }, { projections });
  const ingestStarted = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < records.length; i += 10_000) {
    pending.push(db.ingestBatch(records.slice(i, i + 10_000)));
    if (pending.length >= 2) await pending.shift();
  }
  await Promise.all(pending);
  await db.close();
  const ingestMs = performance.now() - ingestStarted;
  // performance.now() counts from process start, as the profile does: samples before ingestStarted are set-up.
  console.log(JSON.stringify({ setupMs: ingestStarted, ingestMs }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { child: { type: 'boolean' }, core: { type: 'boolean' }, events: { type: 'string', default: '300000' }, dir: { type: 'string' } },
  });
  if (values.child === true) await child(Number(values.events), values.core !== true, values.dir!);
  else console.log(JSON.stringify(profileIngest(Number(values.events), values.core !== true), null, 2));
}

import { EventDB } from '../src/index.js';
import { generateEvents } from '../src/demo/dataset.js';
import { rmSync } from 'node:fs';
const dir = '/tmp/ab-store'; rmSync(dir, { recursive: true, force: true });
const n = Number(process.argv[2] ?? 100000);
const events = generateEvents(n);
const db = await EventDB.open({ path: dir });
const t = performance.now();
const pending: Promise<unknown>[] = [];
for (let i = 0; i < n; i += 10000) { pending.push(db.ingestBatch(events.slice(i, i + 10000))); if (pending.length >= 2) await pending.shift(); }
await Promise.all(pending);
const ms = performance.now() - t;
const bytes = db.stats().bytesOnDisk;
await db.close();
console.log(`${n} events: ${Math.round(n / ms * 1000)}/s, ${Math.round(bytes / n)} B/event`);

// The collector task of the suite alone: events/s through HTTP next to ingestBatch of the same events.
// Run: npm run bench:collector -- [--events=20000]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CONFIGS } from './suite/config.js';
import { collectorIngest } from './suite/collector-ingest.js';
import { Recorder } from './suite/recorder.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: String(CONFIGS.quick.concurrentEvents) } } });
const root = mkdtempSync(join(tmpdir(), 'eventdb-collector-bench-'));
try {
  const rec = new Recorder(root, (line) => console.log(line));
  await collectorIngest({ ...CONFIGS.quick, concurrentEvents: Number(values.events) }, rec);
  console.table(rec.rows.map((row) => ({ id: row.id, events: row.n, ms: row.ms, 'events/s': row.perSec, ratio: row.ratios[0]?.ratio ?? '' })));
} finally {
  rmSync(root, { recursive: true, force: true });
}

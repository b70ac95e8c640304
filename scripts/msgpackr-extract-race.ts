// Shows the msgpackr-extract race that `workerEnv` keeps eventdb's threads out of: each thread that loads the addon
// zeroes and refills a token table the whole process shares, and a decode on another thread meanwhile can read a
// zeroed entry, step over a float64 as if it were one byte, and return wrong strings without an error.
// A worker thread here re-runs the addon's load in a loop while the main thread decodes; prints how many decodes
// came back wrong. Run after upgrading msgpackr or msgpackr-extract: npx tsx scripts/msgpackr-extract-race.ts [seconds]

import { Worker } from 'node:worker_threads';

// The addon's file, as msgpackr loads it (node-gyp-build picks the build for this platform).
const loaded: string[] = [];
const dlopen = process.dlopen.bind(process);
process.dlopen = (...args: Parameters<typeof dlopen>): void => {
  loaded.push(args[1]);
  // As called: an explicit undefined `flags` would make the load fail.
  dlopen(...args);
};
const { Packr, isNativeAccelerationEnabled } = await import('msgpackr');
process.dlopen = dlopen;
const addon = loaded.find((file) => file.includes('msgpackr-extract'));
if (!isNativeAccelerationEnabled || addon === undefined) {
  console.log('msgpackr decodes strings in JavaScript here: nothing to show');
  process.exit(0);
}

// The crash loop's failure in small: a float64 (a record's time) whose bytes, read as tokens, hold a fixstr header.
const time = new DataView(new Uint8Array([0x42, 0x7a, 0x23, 0xaa, 0x80, 0x16, 0x40, 0x00]).buffer).getFloat64(0);
const value = ['start', ...Array.from({ length: 2000 }, () => time), 'end-of-the-message'];
const packr = new Packr({ useRecords: false });
const bytes = packr.pack(value);

const stop = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(
  `const { workerData } = require('node:worker_threads');
   while (Atomics.load(workerData.stop, 0) === 0) process.dlopen({ exports: {} }, workerData.addon);`,
  { eval: true, workerData: { stop, addon } },
);
const exited = new Promise((resolve) => worker.once('exit', resolve));
const seconds = Number(process.argv[2] ?? 5);
let decodes = 0;
let wrong = 0;
let example: unknown;
for (const end = Date.now() + seconds * 1000; Date.now() < end; decodes++) {
  const decoded = packr.unpack(bytes) as unknown[];
  if (decoded[0] !== value[0] || decoded[2001] !== value[2001]) {
    wrong++;
    example ??= decoded[2001];
  }
}
Atomics.store(stop, 0, 1);
await exited;
console.log(
  `${addon}\n${decodes} decodes, ${wrong} with wrong strings${wrong > 0 ? ` (e.g. ${JSON.stringify(example)} for ${JSON.stringify(value[2001])})` : ''}`,
);

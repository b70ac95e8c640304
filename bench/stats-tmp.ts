import { open } from 'lmdb';
const root = open({ path: process.argv[2]!, readOnly: true });
let total = 0;
for (const name of ['log', 'dedupe', 'collisions', 'index', 'quarantine', 'meta', 'partials', 'links', 'members', 'identifiers']) {
  const s = root.openDB({ name, encoding: 'binary', keyEncoding: 'binary' }).getStats() as any;
  const pages = s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;
  total += pages;
  console.log(name.padEnd(12), 'entries', String(s.entryCount).padStart(8), 'pages', String(pages).padStart(7), 'MB', (pages * 4096 / 1e6).toFixed(1));
}
const env = root.getStats() as any;
console.log('total in trees MB', (total * 4096 / 1e6).toFixed(1), 'env', JSON.stringify(env).slice(0, 300));

// Loads eventdb as an application would, writes and reads feed items and events, and prints what msgpackr did:
// the variable's value and whether this process loaded msgpackr-extract (see src/storage/msgpack-strings.ts).

const loaded: string[] = [];
const dlopen = process.dlopen.bind(process);
process.dlopen = (...args: Parameters<typeof dlopen>): void => {
  loaded.push(args[1]);
  // As called: an explicit undefined `flags` would make the load fail.
  dlopen(...args);
};
const { EventDB } = await import('../../src/index.js');

const db = await EventDB.open({ inMemory: true });
const products = Array.from({ length: 20 }, (_, j) => ({
  id: `sku-${j}`,
  title: `A product with a title long enough ${j}`,
  description: 'a record of more than 140 bytes, which msgpackr decodes natively when it can',
  url: `https://shop.example.com/${j}`,
  image_link: `https://shop.example.com/${j}.jpg`,
  price: `${j + 1}.00 USD`,
}));
await db.catalog.importFeed(Buffer.from(JSON.stringify({ products })), { format: 'json' });
await db.ingestBatch(
  Array.from({ length: 50 }, (_, i) => ({
    eventId: `e${i}`,
    profileId: `p${i % 5}`,
    sessionId: `s${i % 7}`,
    eventName: 'product_viewed',
    timestamp: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
    data: { productId: `sku-${i % 20}`, note: 'x'.repeat(120) },
  })),
);
const read = db.catalog.get('sku-3') !== undefined && [...db.events({ profileId: 'p1' })].length === 10;
await db.close();
process.stdout.write(
  `${JSON.stringify({ variable: process.env['MSGPACKR_NATIVE_ACCELERATION_DISABLED'] ?? null, addon: loaded.some((file) => file.includes('msgpackr-extract')), read })}\n`,
);

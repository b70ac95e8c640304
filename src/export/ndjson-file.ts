// Export rows as NDJSON: one object per line, timestamp as ISO-8601 with milliseconds, JSON columns nested.

import type { ExportRow } from './export-row.js';
import { FileSink, type RowFile } from './row-file.js';

export function openNdjsonFile(path: string): RowFile {
  const sink = new FileSink(path);
  return {
    writeGroup(rows) {
      sink.append(Buffer.from(rows.map(lineOf).join('')));
    },
    bytes: () => sink.written,
    finish: () => sink.close(true),
    abort: () => sink.remove(),
  };
}

/** The JSON columns are JSON text already: spliced in as they are, not parsed again. */
function lineOf(row: ExportRow): string {
  const text = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));
  const json = (value: string | null): string => value ?? 'null';
  return (
    `{"position":${row.position},"kind":${text(row.kind)},"eventId":${text(row.eventId)},"eventName":${text(row.eventName)},` +
    `"profileId":${text(row.profileId)},"userId":${text(row.userId)},"sessionId":${text(row.sessionId)},` +
    `"accountId":${text(row.accountId)},"pageId":${text(row.pageId)},"productId":${text(row.productId)},` +
    `"timestamp":${JSON.stringify(new Date(row.timestamp).toISOString())},"data":${json(row.data)},` +
    `"attributes":${json(row.attributes)},"accountAttributes":${json(row.accountAttributes)},"source":${text(row.source)}}\n`
  );
}

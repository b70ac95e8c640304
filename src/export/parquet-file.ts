// Export rows as Parquet through hyparquet-writer: one row group per group of rows, written as it comes.

import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { EXPORT_COLUMNS, type ExportRow } from './export-row.js';
import { FileSink, type RowFile } from './row-file.js';

/** hyparquet's schema element (its own package, a dependency of hyparquet-writer's). */
type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/** Bytes buffered before they go to the file. */
const CHUNK_BYTES = 1 << 20;
/** Columns every record has; the others are OPTIONAL (null when the record lacks them). */
const REQUIRED = new Set(['position', 'kind', 'eventId', 'timestamp']);

/**
 * The schema: `position` INT64; `timestamp` INT64 annotated TIMESTAMP(MILLIS, UTC), so engines read a timestamp
 * keeping milliseconds; the rest UTF-8 strings, `data`, `attributes` and `accountAttributes` as JSON text (plain
 * UTF-8, not the JSON logical type: every engine reads it, and JSON functions take it as it is).
 */
export const PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: EXPORT_COLUMNS.length },
  ...EXPORT_COLUMNS.map((name): SchemaElement => {
    const repetition_type = REQUIRED.has(name) ? 'REQUIRED' : 'OPTIONAL';
    if (name === 'position') return { name, type: 'INT64', repetition_type };
    if (name === 'timestamp') {
      return {
        name,
        type: 'INT64',
        repetition_type,
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
      };
    }
    return { name, type: 'BYTE_ARRAY', repetition_type, converted_type: 'UTF8' };
  }),
];

/** hyparquet-writer's in-memory writer, emptied into the file past CHUNK_BYTES and after each row group. */
class StreamingWriter extends ByteWriter {
  constructor(private readonly sink: FileSink) {
    super(CHUNK_BYTES * 2);
  }

  override ensure(size: number): void {
    if (this.index > CHUNK_BYTES) this.flush();
    super.ensure(size);
  }

  flush(): void {
    if (this.index === 0) return;
    this.sink.append(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

export function openParquetFile(path: string): RowFile {
  const sink = new FileSink(path);
  const writer = new StreamingWriter(sink);
  const parquet = new ParquetWriter({ writer, schema: PARQUET_SCHEMA, codec: 'SNAPPY', createdBy: 'eventdb export' });
  return {
    writeGroup(rows) {
      void parquet.write({ columnData: columnsOf(rows), rowGroupSize: rows.length });
    },
    bytes: () => writer.offset,
    finish() {
      void parquet.finish();
      sink.close(true);
    },
    abort: () => sink.remove(),
  };
}

function columnsOf(rows: readonly ExportRow[]): { name: string; data: unknown[] }[] {
  return EXPORT_COLUMNS.map((name) => {
    if (name === 'position' || name === 'timestamp') return { name, data: rows.map((row) => BigInt(row[name])) };
    return { name, data: rows.map((row) => row[name]) };
  });
}

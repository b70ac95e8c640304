// Runs an export: picks the sink the options name, checks them, and reports progress.

import { errors } from '../errors.js';
import type { ExportOptions, ExportResult, FileExportOptions } from './export-options.js';
import type { ChangeSource } from './export-progress.js';

export async function runExport(changes: ChangeSource, options: ExportOptions): Promise<ExportResult> {
  if (typeof options !== 'object' || options === null) throw errors.invalidArgument('options', 'must be an object');
  if ('to' in options && options.to !== undefined) {
    if (options.to !== 'clickhouse') throw errors.invalidArgument('options.to', `must be "clickhouse", not ${JSON.stringify(options.to)}`);
    const { exportToClickHouse } = await import('./clickhouse-sink.js');
    return exportToClickHouse(changes, options);
  }
  const file = options as FileExportOptions;
  if (file.format !== 'parquet' && file.format !== 'ndjson') {
    throw errors.invalidArgument('options.format', `must be "parquet" or "ndjson" (or give to: "clickhouse"), not ${JSON.stringify(file.format)}`);
  }
  if (typeof file.out !== 'string' || file.out === '') throw errors.invalidArgument('options.out', 'must be a directory path');
  const { exportToFiles } = await import('./file-export.js');
  return exportToFiles(changes, file);
}

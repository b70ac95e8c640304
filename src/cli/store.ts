// Opens the store a command works on (`--db`), refusing to create one for commands that only read.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EventDB } from '../index.js';
import { CommandFailure, type CommandContext } from './command.js';

/**
 * How a command uses the store: `create` (ingest, import: made when missing), `write` (changes an existing one),
 * `read` (opened read-only, so it runs beside a writer and beside other readers).
 */
export type StoreUse = 'create' | 'write' | 'read';

/** Opens `--db`; unless creating, fails with one sentence when no store is there. */
export async function openStore(context: CommandContext, use: StoreUse): Promise<EventDB> {
  const dir = context.db;
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CommandFailure(`${dir} is not a directory, so it cannot hold an eventdb store`);
  if (use !== 'create' && !existsSync(join(dir, 'data.mdb'))) {
    throw new CommandFailure(`no eventdb store at ${dir} (give --db <dir>, or create one with 'eventdb ingest')`);
  }
  return EventDB.open({ path: dir, readOnly: use === 'read' });
}

/** Runs `work` on the opened store and closes it, whatever happens. */
export async function withStore<T>(context: CommandContext, use: StoreUse, work: (db: EventDB) => Promise<T> | T): Promise<T> {
  const db = await openStore(context, use);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

// Opens the store a command works on (`--db`), refusing to create one for commands that only read.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EventDB } from '../index.js';
import { CommandFailure, type CommandContext } from './command.js';

/** Opens `--db`. `create: false` (reading commands) fails with one sentence when no store is there. */
export async function openStore(context: CommandContext, create: boolean): Promise<EventDB> {
  const dir = context.db;
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CommandFailure(`${dir} is not a directory, so it cannot hold an eventdb store`);
  if (!create && !existsSync(join(dir, 'data.mdb'))) {
    throw new CommandFailure(`no eventdb store at ${dir} (give --db <dir>, or create one with 'eventdb ingest')`);
  }
  return EventDB.open({ path: dir });
}

/** Runs `work` on the opened store and closes it, whatever happens. */
export async function withStore<T>(context: CommandContext, create: boolean, work: (db: EventDB) => Promise<T> | T): Promise<T> {
  const db = await openStore(context, create);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

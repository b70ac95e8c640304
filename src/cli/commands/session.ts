// `eventdb session <id>`: one session's state.

import { lookupCommand } from '../lookup-command.js';

/** `eventdb session <id>` */
export const session = lookupCommand({
  name: 'session',
  noun: 'session',
  summary: 'show a session: its profile, start, end, duration, pages',
  description: 'Prints the session with this sessionId.',
  find: (db, id) => db.getSession(id),
});

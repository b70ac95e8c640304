// `eventdb account <id>`: one account's state.

import { lookupCommand } from '../lookup-command.js';

/** `eventdb account <id>` */
export const account = lookupCommand({
  name: 'account',
  noun: 'account',
  summary: 'show an account: members, first/last seen, event count, attributes',
  description: 'Prints the account with this accountId.',
  find: (db, id) => db.getAccount(id),
});

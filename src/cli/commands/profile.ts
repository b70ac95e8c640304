// `eventdb profile <id>`: the unified profile of any of its identifiers.

import { lookupCommand } from '../lookup-command.js';

/** `eventdb profile <id>` */
export const profile = lookupCommand({
  name: 'profile',
  noun: 'profile',
  summary: 'show the unified profile of a userId or profileId',
  description: `Looks the id up as a userId first, then as a profileId, and prints the unified
profile: identifiers, first/last seen, counts, accounts, attributes.`,
  find: (db, id) => db.getProfile(id),
});

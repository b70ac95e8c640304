// The read side of profiles, accounts, sessions and identity, over the committed state.

import { errors } from '../errors.js';
import { ownersOf, resolveIdentity, type IdentityReader } from '../identity/identity-graph.js';
import { generationOf } from '../storage/keys.js';
import type { StoredRecord } from '../storage/record-codec.js';
import type { Storage } from '../storage/storage.js';
import type { CompiledComputed } from './computed.js';
import type { PartialKey } from './projection-store.js';
import { PartialKind } from './projection-store.js';
import { ownerOf } from './projector.js';
import { buildAccount, buildProfile, buildSession, type Account, type Profile, type Session, type ViewSource } from './views.js';

/** A profile lookup: any identifier (a userId first, then a profileId), or a named one. */
export type ProfileLookup = string | { userId: string } | { profileId: string };

export class ReadModel implements ViewSource, IdentityReader {
  constructor(
    private readonly storage: Storage,
    private readonly computed: readonly CompiledComputed[],
    private readonly placeholders: ReadonlySet<string>,
  ) {}

  // Readers see committed state only: a batch still being committed is invisible to every read alike.

  getPartial(key: PartialKey): unknown {
    return this.storage.getCommittedPartial(key);
  }

  lastGeneration(): number {
    return generationOf(this.storage.lastSeq());
  }

  getLink(profileId: string): { u: string } | undefined {
    return this.storage.getCommittedLink(profileId);
  }

  membersOf(userId: string): string[] {
    return this.storage.membersOf(userId);
  }

  hasUser(userId: string): boolean {
    return this.storage.hasCommittedIdentifier(PartialKind.userId, userId);
  }

  hasProfile(profileId: string): boolean {
    return this.storage.hasCommittedIdentifier(PartialKind.profileId, profileId);
  }

  profile(lookup: ProfileLookup): Profile | undefined {
    const identity = resolveIdentity(this, checkLookup(lookup));
    return identity === undefined ? undefined : buildProfile(this, identity, this.computed);
  }

  account(accountId: string): Account | undefined {
    return buildAccount(this, checkId(accountId, 'accountId'));
  }

  session(sessionId: string): Session | undefined {
    return buildSession(this, checkId(sessionId, 'sessionId'));
  }

  /** Owners of the unified profile of an identifier, for `events()`. */
  ownersOf(field: 'profileId' | 'userId', value: string): string[] {
    const identity = resolveIdentity(this, field === 'userId' ? { userId: value } : { profileId: value });
    return identity === undefined ? [] : ownersOf(identity);
  }

  ownerOfRecord(record: StoredRecord): string {
    return ownerOf(record, this.placeholders);
  }
}

function checkId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw errors.invalidArgument(name, 'must be a non-empty string');
  return value;
}

function checkLookup(lookup: ProfileLookup): string | { userId?: string; profileId?: string } {
  if (typeof lookup === 'string') return checkId(lookup, 'identifier');
  if (typeof lookup !== 'object' || lookup === null) throw errors.invalidArgument('identifier', 'must be a string, { userId } or { profileId }');
  if ('userId' in lookup) return { userId: checkId(lookup.userId, 'userId') };
  if ('profileId' in lookup) return { profileId: checkId(lookup.profileId, 'profileId') };
  throw errors.invalidArgument('identifier', 'must be a string, { userId } or { profileId }');
}

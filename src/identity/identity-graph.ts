// Identity stitching: profileIds linked to userIds by their earliest link, and the unified profile an identifier belongs to.

import { isLater } from '../schema/event-order.js';
import type { ProjectionStore } from '../storage/projection-state.js';

/** A unified profile's identity: one userId with its profileIds, or one lone profileId. */
export interface UnifiedIdentity {
  /** The userId, or the lone profileId. */
  id: string;
  userId: string | undefined;
  profileIds: string[];
}

/** `u:<userId>` or `p:<profileId>`: the identifier an event or update belongs to. */
export type Owner = string;

export const userOwner = (userId: string): Owner => `u:${userId}`;
export const profileOwner = (profileId: string): Owner => `p:${profileId}`;

/**
 * Records a link between a profileId and a userId seen together on an event.
 * Only the earliest link (by time, then eventId) counts, so the outcome does
 * not depend on arrival order; a late-arriving earlier link re-homes the
 * profileId — its partial states follow it without any replay.
 */
export function recordLink(store: ProjectionStore, profileId: string, userId: string, time: number, eventId: string): boolean {
  const current = store.getLink(profileId);
  if (current !== undefined && !isLater(current.t, current.e, time, eventId)) return false;
  if (current === undefined || current.u !== userId) {
    if (current !== undefined) store.removeMember(current.u, profileId);
    store.addMember(userId, profileId);
  }
  store.putLink(profileId, { u: userId, t: time, e: eventId });
  return current === undefined;
}

/** The read side of the identity graph. */
export interface IdentityReader {
  getLink(profileId: string): { u: string } | undefined;
  membersOf(userId: string): string[];
  /** The members of `userId` when it is a known user, else undefined (a lookup by userId: one read fewer than `hasUser` first). */
  membersOfKnownUser(userId: string): string[] | undefined;
  hasUser(userId: string): boolean;
  hasProfile(profileId: string): boolean;
}

/** The unified profile of a userId. */
export function identityOfUser(reader: IdentityReader, userId: string): UnifiedIdentity {
  return { id: userId, userId, profileIds: sorted(reader.membersOf(userId)) };
}

/** The unified profile of a userId, or undefined for an unknown one. */
function identityOfKnownUser(reader: IdentityReader, userId: string): UnifiedIdentity | undefined {
  const members = reader.membersOfKnownUser(userId);
  return members === undefined ? undefined : { id: userId, userId, profileIds: sorted(members) };
}

/**
 * `ids` in order, sorted in place only when they are not: a user's members come as stored, sorted, except when a
 * checkpoint window changed them. Sorting even three ids allocates the sort's work state (about 500 bytes per
 * `getProfile`, a tenth of what one allocates).
 */
function sorted(ids: string[]): string[] {
  for (let i = 1; i < ids.length; i++) if (ids[i - 1]! > ids[i]!) return ids.sort();
  return ids;
}

/**
 * The unified profile a known profileId belongs to (its user's, or its own when never linked), or undefined for an
 * unknown one. A linked profileId is known (its link was written with its registration), so the link is read
 * first: one read fewer for the usual lookup.
 */
function identityOfKnownProfile(reader: IdentityReader, profileId: string): UnifiedIdentity | undefined {
  const link = reader.getLink(profileId);
  if (link !== undefined) return identityOfUser(reader, link.u);
  return reader.hasProfile(profileId) ? { id: profileId, userId: undefined, profileIds: [profileId] } : undefined;
}

/** Resolves a lookup key: `{ userId }`, `{ profileId }`, or any identifier (a userId first, then a profileId). */
export function resolveIdentity(reader: IdentityReader, target: string | { userId?: string; profileId?: string }): UnifiedIdentity | undefined {
  if (typeof target !== 'string') {
    if (target.userId !== undefined) return identityOfKnownUser(reader, target.userId);
    if (target.profileId !== undefined) return identityOfKnownProfile(reader, target.profileId);
    return undefined;
  }
  // An identifier that may be either: whether it is a user is asked first (a profileId's lookup then reads no user state).
  if (reader.hasUser(target)) return identityOfUser(reader, target);
  return identityOfKnownProfile(reader, target);
}

/** The owners whose partials and events make up a unified profile. */
export function ownersOf(identity: UnifiedIdentity): Owner[] {
  const owners = identity.profileIds.map(profileOwner);
  if (identity.userId !== undefined) owners.unshift(userOwner(identity.userId));
  return owners;
}

/** The unified profile id an owner belongs to now. */
export function unifiedIdOf(reader: IdentityReader, owner: Owner): string {
  const id = owner.slice(2);
  return owner.startsWith('u:') ? id : (reader.getLink(id)?.u ?? id);
}

// xxhash64 of eventIds and of content, loaded once per process.

import xxhash from 'xxhash-wasm';

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let hasher: Hasher | undefined;

/** Loads the wasm hasher; every other function here needs it loaded first. */
export async function loadHasher(): Promise<void> {
  hasher ??= await xxhash();
}

function loaded(): Hasher {
  if (hasher === undefined) throw new Error('eventdb invariant violated: hasher used before loadHasher()');
  return hasher;
}

/** xxhash64 of an eventId: the dedupe key. */
export function hashEventId(eventId: string): bigint {
  return loaded().h64(eventId);
}

const SECOND_SEED = 0x9e3779b97f4a7c15n;

/** 128 bits of xxhash64 as 32 hex characters: ids derived from content must not collide in practice. */
export function contentHash(text: string): string {
  const h = loaded();
  return h.h64ToString(text) + h.h64ToString(text, SECOND_SEED);
}

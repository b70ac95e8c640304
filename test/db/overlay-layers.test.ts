// The versioned overlay's layers: a checkpoint sets the versions written since the previous one aside until it is
// committed; reads choose versions by position across the layers, and nothing a snapshot may see is dropped early.
import { describe, expect, it } from 'vitest';
import { REMOVED, settleToken, VersionedOverlay, WriteToken } from '../../src/storage/overlay.js';

function token(position: number): WriteToken {
  const t = new WriteToken();
  t.position = position;
  return t;
}

describe('versioned overlay layers', () => {
  it('reads by position across a checkpoint set aside, and drops the layer only once it has landed', () => {
    const overlay = new VersionedOverlay();
    const a = token(10);
    overlay.set('k', 'v10', a);
    overlay.set('gone', 'x', a);
    settleToken(a);
    // The checkpoint at 10 writes what was written since the last one, then sets it aside.
    expect([...overlay.checkpoint(10)]).toEqual([
      ['k', 'v10'],
      ['gone', 'x'],
    ]);
    const b = token(20);
    overlay.set('k', 'v20', b);
    overlay.set('gone', REMOVED, b);
    overlay.set('new', 'n20', b);
    expect(overlay.size).toBe(5);
    expect(overlay.latest('k')).toBe('v20');
    expect(overlay.visible('k', 15)).toBe('v10');
    expect(overlay.visible('k', 20)).toBe('v20');
    expect(overlay.visible('gone', 19)).toBe('x');
    expect(overlay.visible('gone', 20)).toBe(REMOVED);
    expect(overlay.visible('new', 19)).toBeUndefined();
    expect([...overlay.keys()].sort()).toEqual(['gone', 'k', 'new']);
    expect(new Map(overlay.entries(15))).toEqual(
      new Map([
        ['k', 'v10'],
        ['gone', 'x'],
      ]),
    );
    // A second checkpoint writes only its own window: the first one commits before it.
    expect([...overlay.checkpoint(20)].map(([key]) => key).sort()).toEqual(['gone', 'k', 'new']);
    overlay.landed(10);
    expect(overlay.visible('k', 15)).toBeUndefined(); // LMDB holds the state at 10 now
    expect(overlay.visible('k', 25)).toBe('v20');
    overlay.landed(20);
    expect(overlay.size).toBe(0);
    expect(overlay.latest('k')).toBeUndefined();
  });

  it('settles a call whose versions a checkpoint set aside before its commit resolved', () => {
    const overlay = new VersionedOverlay();
    const a = token(5);
    overlay.set('k', 'v5', a);
    settleToken(a);
    const b = token(8);
    overlay.set('k', 'v8', b);
    expect(overlay.visible('k', 6)).toBe('v5');
    // The checkpoint at 8 is staged before b's commit resolves; then b settles: v5 is hidden by a committed v8.
    expect([...overlay.checkpoint(8)]).toEqual([['k', 'v8']]);
    settleToken(b);
    expect(overlay.visible('k', 8)).toBe('v8');
    expect(overlay.visible('k', 6)).toBeUndefined();
    // A call's second write replaces its first; a later call's write chains on top in the current layer.
    const c = token(9);
    overlay.set('k', 'v9a', c);
    overlay.set('k', 'v9b', c);
    expect(overlay.latest('k')).toBe('v9b');
    expect(overlay.visible('k', 8)).toBe('v8');
    overlay.clear();
    expect(overlay.size).toBe(0);
  });
});

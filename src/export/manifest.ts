// The manifest of a file export: which files hold which positions, so a re-run continues where the last stopped.

import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.js';
import type { ChangePosition } from '../changes/position.js';

export const MANIFEST_NAME = 'manifest.json';
const MANIFEST_VERSION = 1;

/** One finished file: its name in the directory and the positions of its first and last rows. */
export interface ManifestFile {
  name: string;
  firstPosition: ChangePosition;
  lastPosition: ChangePosition;
  rows: number;
  bytes: number;
}

/** `manifest.json`: the files in position order; `lastPosition` is where the next run continues. */
export interface Manifest {
  version: number;
  format: 'parquet' | 'ndjson';
  columns: readonly string[];
  files: ManifestFile[];
  lastPosition: ChangePosition;
}

/** Reads the manifest of `dir`, or undefined when there is none. */
export function readManifest(dir: string): Manifest | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, MANIFEST_NAME), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (err) {
    throw errors.invalidInput(join(dir, MANIFEST_NAME), 'is not valid JSON; move it away to export afresh', err);
  }
  if (manifest.version !== MANIFEST_VERSION || !Array.isArray(manifest.files) || typeof manifest.lastPosition !== 'string') {
    throw errors.invalidInput(join(dir, MANIFEST_NAME), `is not an eventdb export manifest of version ${MANIFEST_VERSION}`);
  }
  return manifest;
}

export function emptyManifest(format: Manifest['format'], columns: readonly string[], after: ChangePosition): Manifest {
  return { version: MANIFEST_VERSION, format, columns, files: [], lastPosition: after };
}

/** Replaces the manifest atomically: written beside it, flushed, renamed over it, the directory flushed. */
export function writeManifest(dir: string, manifest: Manifest): void {
  const temp = join(dir, `.tmp-${process.pid}-${MANIFEST_NAME}`);
  writeFileSync(temp, `${JSON.stringify(manifest, null, 2)}\n`);
  fsyncPath(temp);
  renameSync(temp, join(dir, MANIFEST_NAME));
  fsyncPath(dir);
}

/** The name of a finished file: its first and last positions, zero-padded so names sort in log order. */
export function fileName(first: ChangePosition, last: ChangePosition, extension: string): string {
  return `events-${first.padStart(12, '0')}-${last.padStart(12, '0')}.${extension}`;
}

const OUR_FILE = /^(events-\d+-\d+\.(parquet|ndjson)|\.tmp-.*)$/;

/**
 * Removes what a killed run left: temp files, and finished files the manifest does not name (renamed into place
 * before the manifest that would have named them was written). Returns their names.
 */
export function removeLeftovers(dir: string, manifest: Manifest | undefined): string[] {
  const named = new Set(manifest?.files.map((file) => file.name) ?? []);
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!OUR_FILE.test(name) || named.has(name)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

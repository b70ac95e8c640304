// Collector test helpers: `eventdb serve` as a child process, and a recording proxy that captures every SDK request for replay.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { nodeArgs } from '../helpers/child-build.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** A running `eventdb serve`. */
export interface ServeChild {
  url: string;
  child: ChildProcess;
  /** Everything written to stderr so far (the request log). */
  stderr(): string;
  /** Resolves with the exit code (or the signal) once the child is gone. */
  exited: Promise<number | NodeJS.Signals | null>;
}

/** Starts `eventdb serve --db dir --port 0 …args` from the sources and waits for its `listening on` line. */
export function startServe(dir: string, args: string[] = []): Promise<ServeChild> {
  const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), 'serve', '--db', dir, '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const match = /^listening on (http:\/\/\S+)$/.exec(line);
      if (match === null) reject(new Error(`unexpected first line: ${line}`));
      else resolve({ url: match[1]!, child, stderr: () => stderr, exited });
    });
    void exited.then((code) => reject(new Error(`serve exited (${String(code)}) before listening: ${stderr}`)));
  });
}

/** One request as an SDK sent it. */
export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status?: number;
}

/** A proxy in front of the collector that records each request (body bytes included) and its answer. */
export async function recordingProxy(target: string): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: Recorded = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        recorded.status = answer.statusCode;
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(recorded.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Sends a recorded request again, straight to `target`; resolves with the status and the body text. */
export async function replay(target: string, recorded: Recorded): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(recorded.headers)) {
    if (typeof value === 'string' && !['host', 'content-length', 'connection', 'transfer-encoding'].includes(name)) headers[name] = value;
  }
  const response = await fetch(`${target}${recorded.url}`, {
    method: recorded.method,
    headers,
    body: recorded.method === 'GET' ? undefined : recorded.body,
  });
  return { status: response.status, text: await response.text() };
}

// Starts a throw-away ClickHouse server for a test: a config in a temp dir, loopback only, free ports.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The server binary, or why there is none (the tests then skip, saying so). */
export function findClickHouse(): { command: string[] } | { missing: string } {
  for (const path of ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server']) if (existsSync(path)) return { command: [path] };
  const which = spawnSync('sh', ['-c', 'command -v clickhouse-server || command -v clickhouse'], { encoding: 'utf8' });
  const found = which.stdout.trim().split('\n')[0];
  if (found === undefined || found === '')
    return { missing: 'clickhouse-server is not installed (.ci/run installs it with apt-get; that failed or was not run)' };
  return { command: found.endsWith('clickhouse') ? [found, 'server'] : [found] };
}

export interface RunningClickHouse {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function configXml(dir: string, httpPort: number, tcpPort: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>0</uncompressed_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
</yandex>
`;
}

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

/** Starts the server and waits until it answers /ping (30 s at most). */
export async function startClickHouse(command: string[]): Promise<RunningClickHouse> {
  const dir = mkdtempSync(join(tmpdir(), 'eventdb-clickhouse-'));
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'config.xml'), configXml(dir, httpPort, tcpPort));
  writeFileSync(join(dir, 'users.xml'), USERS_XML);
  let log = '';
  const child: ChildProcess = spawn(command[0]!, [...command.slice(1), `--config-file=${join(dir, 'config.xml')}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A test process that dies without its afterAll must not leave the server running.
  const orphan = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', orphan);
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async (): Promise<void> => {
    process.off('exit', orphan);
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const answer = await fetch(`${url}/ping`);
      if (answer.ok) return { url, stop };
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`clickhouse-server did not start on port ${httpPort}: ${log.slice(-2_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs a query over HTTP and returns its rows (JSONEachRow). */
export async function query<T>(url: string, sql: string): Promise<T[]> {
  const answer = await fetch(`${url}/?query=${encodeURIComponent(`${sql} FORMAT JSONEachRow`)}`);
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${sql}: ${text}`);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

// `eventdb serve`: the HTTP collector on the store, until SIGTERM or SIGINT.

import { startCollector } from '../../adapters.js';
import { COLLECTOR_DEFAULTS } from '../../collector/collector-options.js';
import { integerOption, UsageError, type Command, type CommandContext } from '../command.js';
import { openStore } from '../store.js';

/** `eventdb serve` */
export const serve: Command = {
  name: 'serve',
  summary: 'run the HTTP collector: Segment, RudderStack, PostHog and Snowplow SDKs send to it',
  usage: `Usage: eventdb serve [--host 127.0.0.1] [--port 8787] [--write-key KEY]... [--max-body-mb 5] [--max-pending N]

Answers at the SDKs' default paths (/v1/batch, /batch/, /capture/, /e/, /i/v0/e/,
/com.snowplowanalytics.snowplow/tp2, GET /i), plus GET /health and GET /metrics.
A request gets 200 once its records are durable; rejected events go to the quarantine.
The first line on stdout is "listening on http://HOST:PORT" (the chosen port with --port 0);
request logs go to stderr, without write keys. SIGTERM stops accepting, answers what is in
flight, closes the store and exits 0. Read-only commands work beside it.

  --host          interface to listen on; a non-loopback one needs --write-key
  --port          port; 0 picks a free one
  --write-key     a key requests must carry (repeat for several): Basic auth user
                  (Segment, RudderStack), the project key (PostHog), a Bearer token
  --max-body-mb   largest body, compressed or inflated (default 5)
  --max-pending   records not yet durable past which requests get 503 (default ${COLLECTOR_DEFAULTS.maxPendingRecords})`,
  options: {
    host: { type: 'string', default: COLLECTOR_DEFAULTS.host },
    port: { type: 'string' },
    'write-key': { type: 'string', multiple: true },
    'max-body-mb': { type: 'string' },
    'max-pending': { type: 'string' },
  },
  run: async (context: CommandContext) => {
    if (context.positionals.length > 0) throw new UsageError(`serve takes no arguments, got "${context.positionals[0]}"`);
    const port = integerOption(context.values, 'port', COLLECTOR_DEFAULTS.port, 0);
    if (port > 65535) throw new UsageError(`--port must be at most 65535, not ${port}`);
    const writeKeys = (context.values['write-key'] as string[] | undefined) ?? [];
    const bodyLimitBytes = integerOption(context.values, 'max-body-mb', 5, 1) * 2 ** 20;
    const maxPendingRecords = integerOption(context.values, 'max-pending', COLLECTOR_DEFAULTS.maxPendingRecords, 1);
    const host = String(context.values['host']);
    const db = await openStore(context, 'create');
    let collector;
    try {
      collector = await startCollector({ db, host, port, writeKeys, bodyLimitBytes, maxPendingRecords, log: process.stderr });
    } catch (err) {
      await db.close();
      throw err;
    }
    process.stdout.write(`listening on ${collector.url}\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    process.stderr.write(`eventdb serve: ${signal}: finishing requests in flight, then closing the store\n`);
    await collector.close();
    await db.close();
    return 0;
  },
};

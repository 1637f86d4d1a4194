/**
 * A bridge in its own process for the crash test (it must be killable with SIGKILL): env
 * DATA_DIR, EXCHANGE_PORT, optional BLACKBOX_CRASH_AT. Prints `{"url","token"}` once it listens.
 */
import { startBridge } from '../../bridge/app.js';

const b = await startBridge({
  dataDir: process.env.DATA_DIR!,
  port: 0,
  exchange: { host: '127.0.0.1', port: Number(process.env.EXCHANGE_PORT) },
  quiet: true,
});
process.stdout.on('error', () => undefined);
process.stdout.write(`${JSON.stringify({ url: b.url, token: b.token })}\n`);

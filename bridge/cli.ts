/**
 * `blackbox start | panic | exchange | import | backtest | sweep | worker` — the command line of PRODUCT.md §3.
 * Flags win over environment variables (BLACKBOX_PORT, BLACKBOX_DATA, BLACKBOX_BROKER, BLACKBOX_HOST).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBridge } from './app.js';
import { backtestSpecSchema } from '../common/backtest.js';
import { zodErrors } from '../common/schemas.js';
import type { ReplaySpec } from './backtest/replay-market.js';

const USAGE = `uso / usage:
  blackbox start [--port 3000] [--data ./data] [--broker sim|profitdll] [--host 127.0.0.1]
                 [--seed N] [--exchange HOST:PORT] [--tls-cert FILE --tls-key FILE | --dev-cert]
                 [--allow-remote]
                 [--replay ATIVO,… --from AAAA-MM-DD --to AAAA-MM-DD [--interval 1m|5m|15m|30m|60m|1d] [--source auto|bars|trades]]
                 (--replay: trade on the history stored in <data>/market.db on a simulated clock;
                  arm strategies, then POST /api/replay/run plays it)
  blackbox panic [--reason TEXTO] [--port 3000] [--data ./data] [--url URL]
  blackbox exchange [--port 0] [--seed N]      simulated B3 in its own process
  blackbox profitdll-check [--send-test-order] [--ticker PETR4] [--seconds 30] [--timeout-ms 5000] [--report FILE]
                 checks ProfitDLL on this machine (docs/profitdll-windows.md)
  blackbox import ARQUIVO… [--data ./data] [--json] [--interval 1m|2m|5m|10m|15m|30m|60m|1d]
  blackbox backtest --strategy ARQUIVO|ID --symbols A,B --from AAAA-MM-DD --to AAAA-MM-DD
                 [--interval 1m|5m|15m|30m|60m|1d] [--cash BRL] [--seed N] [--param k=v …]
                 [--source auto|bars|trades] [--data ./data] [--label TEXTO] [--json]
  blackbox sweep (as opções de backtest) --grid k=v1,v2 [--grid k2=…] [--rank sharpe|totalReturn|
                 annualReturn|maxDrawdown|hitRate] [--workers N] [--redis redis://HOST:6379] [--json]
  blackbox worker --redis redis://HOST:6379 [--data ./data] [--concurrency N]
                 runs sweep jobs from Redis (BullMQ) on this machine's data`;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function fail(msg: string): never {
  process.stderr.write(`blackbox: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function intOption(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) fail(`--${name} inválido: ${v}`);
  return n;
}

async function start(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      broker: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      exchange: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'dev-cert': { type: 'boolean' },
      'allow-remote': { type: 'boolean' },
      quiet: { type: 'boolean' },
      replay: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      interval: { type: 'string' },
      source: { type: 'string' },
    },
    strict: true,
  });
  const env = process.env;
  const port = intOption('port', values.port ?? env.BLACKBOX_PORT, 3000);
  const dataDir = path.resolve(values.data ?? env.BLACKBOX_DATA ?? 'data');
  const broker = values.broker ?? env.BLACKBOX_BROKER ?? 'sim';
  if (broker !== 'sim' && broker !== 'profitdll') fail(`--broker deve ser sim ou profitdll, não ${broker}`);
  const host = values.host ?? env.BLACKBOX_HOST ?? '127.0.0.1';
  let tls: { cert: string; key: string } | undefined;
  const certFile = values['dev-cert'] ? path.join(homedir(), '.office-addin-dev-certs', 'localhost.crt') : values['tls-cert'] ?? env.BLACKBOX_TLS_CERT;
  const keyFile = values['dev-cert'] ? path.join(homedir(), '.office-addin-dev-certs', 'localhost.key') : values['tls-key'] ?? env.BLACKBOX_TLS_KEY;
  if (certFile || keyFile) {
    if (!certFile || !keyFile) fail('informe --tls-cert e --tls-key juntos');
    try {
      tls = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    } catch (e) {
      fail(`não consegui ler o certificado TLS: ${(e as Error).message}`);
    }
  }
  // Beyond this machine only on purpose, and never without TLS (PRODUCT.md §8).
  if (!LOOPBACK.has(host)) {
    if (!values['allow-remote']) fail(`--host ${host} expõe a ponte fora desta máquina: use --allow-remote (e TLS) se é isso mesmo`);
    if (!tls) fail('expor a ponte fora desta máquina exige TLS (--tls-cert/--tls-key)');
  }
  let exchange: { host: string; port: number } | undefined;
  if (values.exchange) {
    const m = /^([^:]+):(\d+)$/.exec(values.exchange);
    if (!m) fail(`--exchange deve ser HOST:PORTA, não ${values.exchange}`);
    exchange = { host: m[1], port: intOption('exchange', m[2], 0) };
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) fail(`--seed inválido: ${values.seed}`);
  let replay: ReplaySpec | undefined;
  if (values.replay !== undefined) {
    const parsed = backtestSpecSchema.safeParse({ symbols: values.replay.split(','), from: values.from, to: values.to, interval: values.interval, source: values.source });
    if (!parsed.success) fail(`--replay: ${zodErrors(parsed.error).map((e) => `--${e.field.replace(/^symbols.*/, 'replay')}: ${e.message}`).join('; ')}`);
    const { symbols, from, to, interval, source, fill } = parsed.data;
    replay = { symbols, from, to, interval, source, fill };
  }
  const bridge = await startBridge({ dataDir, port, host, broker, seed, exchange, tls, quiet: values.quiet, replay });
  process.stdout.write(`BlackBox pronto em ${bridge.url} — token em ${path.join(dataDir, 'token')}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await bridge.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function profitdllCheck(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'send-test-order': { type: 'boolean' },
      ticker: { type: 'string' },
      seconds: { type: 'string' },
      'timeout-ms': { type: 'string' },
      report: { type: 'string' },
    },
    strict: true,
  });
  const seconds = Number(values.seconds ?? 30);
  if (!(seconds > 0 && seconds <= 3600)) fail(`--seconds inválido: ${values.seconds}`);
  const timeoutMs = Number(values['timeout-ms'] ?? 5000);
  if (!(Number.isInteger(timeoutMs) && timeoutMs >= 100 && timeoutMs <= 600_000)) fail(`--timeout-ms inválido: ${values['timeout-ms']}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const { runProfitDllCheck } = await import('./adapters/profitdll/check.js');
  const { defaultInstruments } = await import('./model/instrument.js');
  const result = await runProfitDllCheck({
    env: process.env,
    instruments: defaultInstruments(),
    ticker: (values.ticker ?? 'PETR4').toUpperCase(),
    seconds,
    sendTestOrder: values['send-test-order'] === true,
    reportFile: path.resolve(values.report ?? `profitdll-check-${stamp}.txt`),
    timeoutMs,
    print: (line) => process.stdout.write(`${line}\n`),
  });
  process.exit(result.ok ? 0 : 1);
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  try {
    if (cmd === 'start') await start(rest);
    // `panic` is dispatched by bin/blackbox.js to panic-cli.js, which compiles nothing.
    else if (cmd === 'panic') await (await import('./panic-cli.js')).panic(rest);
    else if (cmd === 'profitdll-check') await profitdllCheck(rest);
    else if (cmd === 'import') {
      const { runImportCli } = await import('./marketdata/import/import-cli.js');
      process.exitCode = await runImportCli(rest, fail);
    }
    else if (cmd === 'backtest' || cmd === 'sweep' || cmd === 'worker') {
      const cli = await import('./backtest/backtest-cli.js');
      if (cmd === 'backtest') process.exitCode = await cli.runBacktestCli(rest, fail);
      else if (cmd === 'sweep') process.exitCode = await cli.runSweepCli(rest, fail);
      else await cli.runWorkerCli(rest, fail);
    }
    else if (cmd === 'exchange') {
      process.argv = [process.argv[0], process.argv[1], ...rest];
      await import('./adapters/sim/exchange-main.js');
    } else fail(cmd ? `comando desconhecido: ${cmd}` : 'informe um comando');
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code?.startsWith('ERR_PARSE_ARGS')) fail(err.message ?? 'argumento inválido');
    process.stderr.write(`blackbox: ${err.message ?? String(e)}\n`);
    process.exit(1);
  }
}

await main();

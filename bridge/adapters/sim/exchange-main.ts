/**
 * Process entry of the simulated B3: a SimExchange on a timer behind an ExchangeServer.
 *
 *   node --import tsx bridge/adapters/sim/exchange-main.ts [--port N] [--host H] [--seed N] [--tick-ms N]
 *   (also `blackbox exchange …`; env SIM_EXCHANGE_PORT, SIM_EXCHANGE_SEED)
 *
 * Prints exactly one line on stdout, `{"listening":PORT}`, once it accepts connections, and nothing
 * more there: the parent may die (that is the point of a separate process) and stdout with it.
 * Runs until SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { defaultInstruments } from '../../model/instrument.js';
import { SimExchange } from './exchange.js';
import { ExchangeServer } from './exchange-server.js';

function intArg(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} inválido: ${text} (inteiro não negativo)`);
  return n;
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    seed: { type: 'string' },
    'tick-ms': { type: 'string' },
  },
  strict: true,
});

const port = intArg('port', values.port ?? process.env.SIM_EXCHANGE_PORT, 0);
const seed = intArg('seed', values.seed ?? process.env.SIM_EXCHANGE_SEED, 1);
const tickMs = intArg('tick-ms', values['tick-ms'], 50);
if (port > 65_535) throw new Error(`--port inválido: ${port}`);
if (tickMs === 0) throw new Error('--tick-ms precisa ser positivo');

const exchange = new SimExchange({ instruments: defaultInstruments(), seed });
const server = new ExchangeServer(exchange, { host: values.host ?? '127.0.0.1', port });
const boundPort = await server.listen();
exchange.start(tickMs);

// A parent that died closes our stdout; later writes must not kill the exchange with EPIPE.
process.stdout.on('error', () => undefined);
process.stdout.write(`${JSON.stringify({ listening: boundPort })}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  exchange.stop();
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

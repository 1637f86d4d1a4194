/**
 * `npx blackbox profitdll-check`: the first thing to run on a Windows desk (docs/profitdll-windows.md).
 * Through the same broker the bridge uses (and so the native relay), it logs in, prints every state change
 * with its pt-BR meaning, lists the accounts, subscribes one ticker and counts its trades for a while, and
 * with --send-test-order sends one order far from the market and cancels it. A watchdog names any DLL call
 * that does not return. Everything printed also goes to a report file the user can send back; credentials
 * never appear in it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerEvents } from '../../execution/broker-port.js';
import type { Instrument } from '../../model/instrument.js';
import { createProfitDllBrokerFromEnv } from './from-env.js';

export interface ProfitDllCheckOptions {
  env: NodeJS.ProcessEnv;
  instruments: Instrument[];
  ticker: string;
  /** How long trades are counted. */
  seconds: number;
  sendTestOrder: boolean;
  reportFile: string;
  /** Login, and each request, may take this long before the watchdog names it. */
  timeoutMs: number;
  /** Where a line goes as it happens (stdout). */
  print: (line: string) => void;
}

export interface ProfitDllCheckResult {
  ok: boolean;
  trades: number;
  reportFile: string;
  problems: string[];
}

const WATCHDOG_MS = 250;

export async function runProfitDllCheck(o: ProfitDllCheckOptions): Promise<ProfitDllCheckResult> {
  const lines: string[] = [];
  const problems: string[] = [];
  const t0 = Date.now();
  const say = (line: string): void => {
    const stamped = `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`;
    lines.push(stamped);
    o.print(stamped);
  };
  const problem = (line: string): void => {
    problems.push(line);
    say(`PROBLEMA / PROBLEM: ${line}`);
  };

  say(`BlackBox profitdll-check — DLL: ${o.env.BLACKBOX_PROFITDLL_PATH ?? '(BLACKBOX_PROFITDLL_PATH não definido)'}`);
  say(`Node ${process.version} ${process.platform} ${process.arch}`);
  const broker = createProfitDllBrokerFromEnv({
    instruments: o.instruments,
    dataDir: mkdtempSync(join(tmpdir(), 'blackbox-profitdll-check-')),
    env: o.env,
    log: (level, msg) => say(`${level === 'info' ? '' : `${level.toUpperCase()} `}${msg}`),
    overrides: { connectTimeoutMs: Math.max(o.timeoutMs, 10_000), requestTimeoutMs: o.timeoutMs },
  });
  let trades = 0;
  let counted = 0;
  let bidTicks: number | undefined;
  const orderStatus: string[] = [];
  const events: BrokerEvents = {
    connection: (st) => say(`conexão / connection: ${st.connected ? 'CONECTADO' : 'desconectado'} — ${st.message}`),
    orderUpdate: (u) => {
      orderStatus.push(u.status);
      say(`ordem de teste / test order ${u.clientOrderId}: ${u.status}${u.reason ? ` — ${u.reason}` : ''}`);
    },
    fill: (f) => problem(`a ordem de teste executou ${f.qty} @ ${f.priceTicks} ticks (não devia) / the test order filled`),
    trade: (t) => {
      if (t.symbol === o.ticker) trades++;
    },
    book: (b) => {
      if (b.symbol === o.ticker && b.bidTicks !== undefined) bidTicks = b.bidTicks;
    },
  };
  broker.setListener(events);

  // The watchdog: a DLL call (or the DLL's thread inside a callback) that does not return, by name.
  let named = '';
  const watchdog = setInterval(() => {
    const hung = broker.diagnostics().hungCall;
    const key = hung ? hung.name : '';
    if (key && key !== named) problem(`chamada travada / hung call: ${hung!.name} sem retorno há ${hung!.sinceMs} ms`);
    named = key;
  }, WATCHDOG_MS);

  try {
    say('1. login');
    await broker.connect();
    if (!broker.isConnected()) {
      problem(`não conectou / did not connect: ${broker.status().message}`);
      return await finish();
    }
    say('2. contas / accounts');
    const accounts = broker.accounts();
    if (!accounts.length) problem('nenhuma conta listada pela DLL / no account listed by the DLL');
    for (const a of accounts) say(`   conta ${a.key} — ${a.holder} — corretora ${a.brokerId} ${a.brokerName} (tipo ${a.accountType}, flags ${a.flags})`);
    const inst = broker.instrument(o.ticker);
    if (!inst) {
      problem(`ativo ${o.ticker} desconhecido na ponte / unknown instrument`);
      return await finish();
    }
    say(`3. ${o.ticker}: contando negócios por ${o.seconds} s / counting trades for ${o.seconds} s`);
    broker.subscribe(o.ticker);
    await sleep(o.seconds * 1000);
    counted = trades;
    say(`   ${counted} negócios de ${o.ticker} em ${o.seconds} s (${(counted / o.seconds).toFixed(1)}/s)`);
    if (counted === 0) say('   nenhum negócio: mercado fechado, ou ativo sem liquidez agora / no trades: market closed or illiquid now');
    if (o.sendTestOrder) await testOrder(inst);
    return await finish();
  } finally {
    clearInterval(watchdog);
  }

  async function testOrder(inst: Instrument): Promise<void> {
    say('4. ordem de teste longe do mercado / test order far from the market');
    if (bidTicks === undefined) {
      problem('sem oferta de compra para posicionar a ordem de teste / no bid to place the test order against');
      return;
    }
    // 10 % under the best bid: far from any fill, inside B3's price tunnel. One lot.
    const priceTicks = bidTicks - Math.max(1, Math.round(bidTicks * 0.1));
    const cid = `CHECK-${Date.now()}`;
    say(`   compra ${inst.lotSize} ${inst.symbol} a ${priceTicks} ticks (melhor compra ${bidTicks})`);
    broker.submit({ clientOrderId: cid, account: '', symbol: inst.symbol, side: 'buy', qty: inst.lotSize, priceTicks });
    if (!(await waitUntil(() => orderStatus.length > 0, o.timeoutMs))) {
      problem(`a ordem de teste não foi confirmada em ${o.timeoutMs} ms / the test order was not acknowledged`);
      return;
    }
    if (!orderStatus.includes('new')) {
      problem(`a ordem de teste não ficou aberta: ${orderStatus.join(', ')} / the test order did not rest`);
      return;
    }
    broker.cancel(cid);
    if (!(await waitUntil(() => orderStatus.includes('canceled'), o.timeoutMs))) {
      problem(`o cancelamento não foi confirmado em ${o.timeoutMs} ms / the cancel was not acknowledged`);
      return;
    }
    say('   ordem de teste enviada e cancelada / test order sent and cancelled');
  }

  async function finish(): Promise<ProfitDllCheckResult> {
    const d = broker.diagnostics();
    say(`diagnóstico / diagnostics: ${JSON.stringify(d)}`);
    for (const w of d.warnings) say(`AVISO / WARNING: ${w}`);
    say(problems.length ? `RESULTADO: ${problems.length} problema(s) / ${problems.length} problem(s)` : 'RESULTADO: OK');
    await broker.close();
    writeFileSync(o.reportFile, `${lines.join('\n')}\n`, 'utf8');
    o.print(`relatório / report: ${o.reportFile}`);
    return { ok: problems.length === 0, trades: counted, reportFile: o.reportFile, problems };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

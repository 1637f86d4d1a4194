/**
 * `npx blackbox profitdll-check` against the stand-in: what a user on a Windows desk sees and sends back.
 * In-process for the normal run (fast); through the real CLI for a DLL that hangs, where the watchdog must
 * name the call and the command still end, with its report.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runProfitDllCheck } from '../../bridge/adapters/profitdll/check.js';
import { defaultInstruments } from '../../bridge/model/instrument.js';
import { STANDIN_LIB, buildStandin, configureStandin } from './support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENV = {
  BLACKBOX_PROFITDLL_PATH: STANDIN_LIB,
  BLACKBOX_PROFIT_KEY: 'chave',
  BLACKBOX_PROFIT_USER: 'gestora@example.com',
  BLACKBOX_PROFIT_PASSWORD: 'senha-que-nao-aparece',
};

beforeAll(() => {
  buildStandin();
});
afterEach(() => configureStandin());

describe('profitdll-check', () => {
  it('logs in, prints each state in pt-BR, lists accounts, counts trades, sends and cancels a test order, writes a report', async () => {
    configureStandin({ PROFITDLL_STANDIN_MARKET_MS: '20' });
    const out: string[] = [];
    const reportFile = join(mkdtempSync(join(tmpdir(), 'check-')), 'report.txt');
    const r = await runProfitDllCheck({
      env: { ...process.env, ...ENV },
      instruments: defaultInstruments(),
      ticker: 'PETR4',
      seconds: 2,
      sendTestOrder: true,
      reportFile,
      timeoutMs: 3_000,
      print: (l) => out.push(l),
    });
    const text = out.join('\n');
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    for (const state of ['Login aceito', 'Chave de ativação válida', 'conectado ao roteamento, aguardando corretora', 'Corretora conectada', 'Market data conectado']) {
      expect(text).toContain(`ProfitDLL: ${state}`);
    }
    expect(text).toMatch(/conta 1234567 — João da Conceição Ávila — corretora 32006 Simulador Nelogica/);
    expect(r.trades).toBeGreaterThan(0);
    expect(text).toMatch(new RegExp(`${r.trades} negócios de PETR4 em 2 s`));
    expect(text).toMatch(/ordem de teste \/ test order CHECK-\d+: new/);
    expect(text).toMatch(/ordem de teste \/ test order CHECK-\d+: canceled/);
    expect(text).toContain('RESULTADO: OK');
    const report = readFileSync(reportFile, 'utf8');
    expect(report).toContain('RESULTADO: OK');
    expect(report).toContain('"path":"relay"');
    expect(report).not.toContain('senha-que-nao-aparece');
  }, 30_000);

  it('names a DLL call that hangs, and still ends with its report (through the CLI)', () => {
    const reportFile = join(mkdtempSync(join(tmpdir(), 'check-')), 'report.txt');
    const run = spawnSync(
      process.execPath,
      [join(root, 'bin', 'blackbox.js'), 'profitdll-check', '--seconds', '1', '--timeout-ms', '500', '--report', reportFile],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          ...ENV,
          PROFITDLL_STANDIN_STEP_MS: '2',
          PROFITDLL_STANDIN_MARKET_MS: '0',
          PROFITDLL_STANDIN_HANG: 'SubscribeTicker',
          PROFITDLL_STANDIN_HANG_MS: '20000',
        },
      },
    );
    expect(run.stdout).toMatch(/chamada travada \/ hung call: SubscribeTicker sem retorno/);
    expect(run.status).toBe(1);
    expect(readFileSync(reportFile, 'utf8')).toMatch(/SubscribeTicker/);
  }, 70_000);
});

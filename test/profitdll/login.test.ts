/**
 * Login, connection states and the bad-input list of issue #4: wrong DLL path, wrong architecture, bad
 * credentials, refused activation, a call before login, an unknown state code. In every case connect()
 * resolves, the port reports disconnected with a pt-BR / English message, and nothing is sent.
 */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindProfitDll } from '../../bridge/adapters/profitdll/abi.js';
import {
  NL,
  PROFITDLL_STATE_FILE,
  type ProfitDllBroker,
  createProfitDllBrokerFromEnv,
} from '../../bridge/adapters/profitdll/index.js';
import { defaultInstruments } from '../../bridge/model/instrument.js';
import {
  KOFFI_BUILDS,
  Recorder,
  STANDIN_DIR,
  STANDIN_LIB,
  STANDIN_LISTING_MS,
  buildStandin,
  configureStandin,
  makeBroker,
  standinControl,
  waitFor,
} from './support.js';

let broker: ProfitDllBroker | undefined;

beforeAll(() => {
  buildStandin();
  configureStandin();
});

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

function start(rec: Recorder, overrides: Parameters<typeof makeBroker>[1] = {}): ProfitDllBroker {
  broker = makeBroker(rec, overrides);
  return broker;
}

/** Bilingual: the message has a pt-BR part and an English part. */
function expectBilingual(message: string, pt: RegExp, en: RegExp): void {
  const [ptPart, enPart] = message.split(' / ');
  expect(ptPart).toMatch(pt);
  expect(enPart).toMatch(en);
}

describe('login and connection states', () => {
  it('follows the state sequence and reports connected only when the broker link is up', async () => {
    const rec = new Recorder();
    const b = start(rec);
    await b.connect();
    expect(b.isConnected()).toBe(true);
    const states = rec.connections.map((c) => c.connected);
    expect(states.at(-1)).toBe(true);
    // Only one "connected" event: (1,2) ROTEAMENTO_CONNECTED is not enough on its own.
    expect(states.filter(Boolean)).toHaveLength(1);
    expect(rec.logged('info', 'conectado ao roteamento, aguardando corretora')).toBe(true);
    expect(rec.logged('info', 'Corretora conectada / Broker connected')).toBe(true);
    expect(rec.logged('info', 'Market data conectado / Market data connected')).toBe(true);
    expectBilingual(b.status().message, /^Conectado/, /^Connected/);
  });

  it('reads the accounts with accented holder names in UTF-16', async () => {
    const rec = new Recorder();
    const b = start(rec);
    await b.connect();
    const accounts = b.accounts();
    expect(accounts.map((a) => a.holder)).toEqual(['João da Conceição Ávila', 'Lúcia Brandão & Filhos Ltda']);
    expect(accounts[0]).toMatchObject({
      brokerId: 32006,
      brokerName: 'Simulador Nelogica',
      accountId: '1234567',
      subAccountId: '',
      key: '1234567',
      flags: 2,
      accountType: 0,
    });
  });

  it('takes lot, tick and multiplier from the asset-information callback', async () => {
    const rec = new Recorder();
    const table = defaultInstruments(STANDIN_LISTING_MS);
    const petr = table.find((i) => i.symbol === 'PETR4')!;
    petr.lotSize = 1; // wrong on purpose: the DLL says 100
    const win = table.find((i) => i.symbol === 'WINZ26')!;
    win.tickValueCentavos = 1; // wrong on purpose: 5 points x R$0.20 = 100 centavos
    const b = start(rec, { instruments: table });
    await b.connect();
    expect(b.instrument('PETR4')).toMatchObject({ lotSize: 100, tickHundredths: 1, tickValueCentavos: 1, maxQty: 100_000_000 });
    expect(b.instrument('WINZ26')).toMatchObject({ lotSize: 1, tickHundredths: 500, tickValueCentavos: 100 });
    expect(b.instrument('WDOZ26')).toMatchObject({ tickHundredths: 50, tickValueCentavos: 500 });
    expect(rec.logged('info', 'PETR4: ProfitDLL corrige lotSize 1→100')).toBe(true);
    expect(b.instruments()).toHaveLength(table.length);
  });

  it('knows every WIN and WDO code the bridge makes, so a table of any date gets its reference data', async () => {
    const rec = new Recorder();
    // The futures a bridge lists in July 2031 and in October 2099, each with a tick value the DLL must correct.
    const futures = [Date.parse('2031-07-10T15:00:00Z'), Date.parse('2099-10-20T15:00:00Z')]
      .flatMap((ms) => defaultInstruments(ms).filter((i) => i.kind === 'future'))
      .map((i) => ({ ...i, tickValueCentavos: 1 }));
    expect(futures.map((i) => i.symbol)).toEqual(expect.arrayContaining(['WINQ31', 'WDOZ99']));
    const b = start(rec, { instruments: [...defaultInstruments(STANDIN_LISTING_MS).filter((i) => i.kind !== 'future'), ...futures] });
    await b.connect();
    for (const f of futures) expect(b.instrument(f.symbol)?.tickValueCentavos, f.symbol).toBe(f.symbol.startsWith('WIN') ? 100 : 500);
    expect(rec.logs.filter((l) => l.msg.includes('NL_INVALID_TICKER'))).toEqual([]);
    // Codes the rules do not make stay unknown: January is not a WIN month, a year has two digits, futures trade on F.
    const direct = bindProfitDll(koffi.load(STANDIN_LIB));
    expect(direct.RequestTickerInfo('WINQ31', 'F')).toBe(0);
    for (const [ticker, exchange] of [['WINF27', 'F'], ['WDOZ2X', 'F'], ['WDOZ267', 'F'], ['winz26', 'F'], ['WINZ26', 'B']]) {
      expect(direct.RequestTickerInfo(ticker, exchange), `${ticker} ${exchange}`).toBe(NL.NL_INVALID_TICKER);
    }
  });

  it('keeps the bridge table when the DLL sends quantities with junk in the high half (pre-4.0.0.38)', async () => {
    configureStandin({ PROFITDLL_STANDIN_ASSET_INFO: 'garbage' });
    const rec = new Recorder();
    const b = start(rec);
    await b.connect();
    configureStandin();
    expect(b.instruments()).toEqual(defaultInstruments(STANDIN_LISTING_MS));
    expect(rec.logs.filter((l) => l.level === 'warn' && l.msg.startsWith('Dados cadastrais de PETR4 inválidos na ProfitDLL (lote 6510615553911030000, tick 0.01'))).toHaveLength(1);
    expect(rec.logged('warn', "Invalid ProfitDLL reference data for PETR4")).toBe(true);
  });

  it('waits a bounded time for reference data the DLL does not send', async () => {
    configureStandin({ PROFITDLL_STANDIN_ASSET_INFO: 'off' });
    const rec = new Recorder();
    const b = start(rec);
    await b.connect();
    configureStandin();
    expect(b.isConnected()).toBe(true);
    expect(rec.logged('warn', 'Sem dados cadastrais da ProfitDLL para PETR4, VALE3')).toBe(true);
    expect(rec.logged('warn', "No reference data from ProfitDLL for PETR4, VALE3")).toBe(true);
  });

  it('sends to the only account of a login when no account is named', async () => {
    const rec = new Recorder();
    const b = start(rec, { account: undefined, credentials: { activationKey: 'k', user: 'solo', password: 'p' } });
    await b.connect();
    expect(b.accounts().map((a) => a.key)).toEqual(['1234567']);
    b.submit({ clientOrderId: 'solo1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    await waitFor(() => rec.lastOf('solo1')?.status === 'new', 'ack');
    expect(b.getPosition('PETR4').account).toBe('1234567');
  });

  it('needs an account name when the login has several accounts', async () => {
    const rec = new Recorder();
    const b = start(rec, { account: undefined });
    await b.connect();
    b.submit({ clientOrderId: 'acc1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    b.submit({ clientOrderId: 'acc2', account: '7654321', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    await waitFor(() => rec.lastOf('acc1')?.status === 'rejected' && rec.lastOf('acc2')?.status === 'new', 'results');
    expect(rec.lastOf('acc1')!.reason).toBe(
      'Conta "" não encontrada na ProfitDLL (contas: 1234567, 7654321) / Account "" not found in ProfitDLL (accounts: 1234567, 7654321)',
    );
  });

  it('refuses a bad password: disconnected, bilingual message, nothing sent', async () => {
    const rec = new Recorder();
    const ctl = standinControl();
    const b = start(rec, { credentials: { activationKey: 'KEY', user: 'gestora', password: 'wrong-password' } });
    const t0 = Date.now();
    await b.connect();
    expect(Date.now() - t0).toBeLessThan(2_000); // a refused login settles at once, not at the timeout
    expect(b.isConnected()).toBe(false);
    expectBilingual(b.status().message, /senha inválida/, /invalid password/);
    expect(rec.logged('error', 'Login recusado: senha inválida / Login refused: invalid password')).toBe(true);
    const before = ctl.requestCount();
    b.submit({ clientOrderId: 'c1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650 });
    await waitFor(() => rec.updates.length === 1, 'local reject');
    expect(rec.updates[0]).toMatchObject({ clientOrderId: 'c1', status: 'rejected' });
    expectBilingual(rec.updates[0].reason!, /Não conectado/, /Not connected/);
    expect(ctl.requestCount()).toBe(before);
  });

  it('refuses a blocked password', async () => {
    const rec = new Recorder();
    const b = start(rec, { credentials: { activationKey: 'KEY', user: 'blocked-user', password: 'x' } });
    await b.connect();
    expect(b.isConnected()).toBe(false);
    expectBilingual(b.status().message, /senha bloqueada/, /password blocked/);
  });

  it('reports a refused activation key', async () => {
    const rec = new Recorder();
    const b = start(rec, { credentials: { activationKey: 'INVALID-KEY', user: 'gestora', password: 'segredo' } });
    await b.connect();
    expect(b.isConnected()).toBe(false);
    expectBilingual(b.status().message, /Chave de ativação recusada/, /Activation key refused/);
    expect(rec.connections.at(-1)).toEqual({ connected: false, message: b.status().message });
  });

  it('turns an init error code into its NL_* name', async () => {
    const rec = new Recorder();
    const b = start(rec, { credentials: { activationKey: 'KEY', user: '', password: 'segredo' } });
    await b.connect();
    expect(b.isConnected()).toBe(false);
    expectBilingual(b.status().message, /DLLInitializeLogin falhou: NL_NO_USER \(usuário não informado\)/, /failed: NL_NO_USER \(no user supplied\)/);
  });

  it('treats an unknown state code as disconnected until a known state arrives', async () => {
    const rec = new Recorder();
    const ctl = standinControl();
    const b = start(rec);
    await b.connect();
    ctl.injectState(1, 42);
    await waitFor(() => !b.isConnected(), 'disconnect on unknown routing state');
    expectBilingual(b.status().message, /desconhecido da ProfitDLL \(tipo 1, resultado 42\)/, /Unknown ProfitDLL state code \(type 1, result 42\)/);
    expect(rec.logged('error', 'tipo 1, resultado 42')).toBe(true);
    const before = ctl.requestCount();
    b.submit({ clientOrderId: 'during-unknown', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650 });
    await waitFor(() => rec.lastOf('during-unknown')?.status === 'rejected', 'local reject');
    expect(ctl.requestCount()).toBe(before);

    ctl.injectState(1, 5);
    await waitFor(() => b.isConnected(), 'reconnect after routing reports again');
    ctl.injectState(7, 0);
    await waitFor(() => !b.isConnected(), 'disconnect on unknown state type');
    expectBilingual(b.status().message, /tipo 7, resultado 0/, /type 7, result 0/);
    ctl.injectState(2, 4);
    await waitFor(() => b.isConnected(), 'any known state clears an unknown type');
  });

  it('refuses to send before connect()', async () => {
    const rec = new Recorder();
    const b = start(rec);
    b.submit({ clientOrderId: 'early', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3650 });
    await waitFor(() => rec.updates.length === 1, 'local reject');
    expect(rec.updates[0]).toMatchObject({ clientOrderId: 'early', status: 'rejected', qty: 100, filledQty: 0, priceTicks: 3650 });
    b.cancelAll();
    expect(rec.logged('error', 'cancelAll: Não conectado')).toBe(true);
    expect(() => b.getPosition('PETR4')).toThrow(/NOT_CONNECTED|Não conectado/);
    await expect(b.downloadHistory('PETR4', Date.now() - 1000, Date.now())).rejects.toThrow(/Not connected/);
  });

  it('loads the library from a folder', async () => {
    const rec = new Recorder();
    const b = start(rec, { dllPath: join(STANDIN_DIR, 'build') });
    await b.connect();
    expect(b.isConnected()).toBe(true);
  });
});

describe('configured from the environment', () => {
  const instruments = () => defaultInstruments(STANDIN_LISTING_MS);

  it('reports a missing DLL path or missing credentials instead of throwing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'profitdll-env-'));
    const rec = new Recorder();
    const noPath = (broker = createProfitDllBrokerFromEnv({ instruments: instruments(), dataDir, env: {}, log: rec.log }));
    noPath.setListener(rec);
    await noPath.connect();
    expect(noPath.status()).toEqual({
      connected: false,
      message:
        'BLACKBOX_PROFITDLL_PATH não definido: informe o caminho da ProfitDLL64.dll ou da sua pasta / BLACKBOX_PROFITDLL_PATH not set: give the path of ProfitDLL64.dll or of its folder',
    });
    await noPath.close();
    const noCredentials = (broker = createProfitDllBrokerFromEnv({ instruments: instruments(), dataDir, env: { BLACKBOX_PROFITDLL_PATH: STANDIN_DIR } }));
    await noCredentials.connect();
    expect(noCredentials.status().message).toMatch(/^Credenciais da ProfitDLL ausentes: defina BLACKBOX_PROFIT_KEY/);
  });

  it('connects with the path, credentials and default account of the environment, keeping its ledger in the data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'profitdll-env-'));
    const rec = new Recorder();
    const b = (broker = createProfitDllBrokerFromEnv({
      instruments: instruments(),
      dataDir,
      log: rec.log,
      env: {
        BLACKBOX_PROFITDLL_PATH: join(STANDIN_DIR, 'build'),
        BLACKBOX_PROFIT_KEY: 'k',
        BLACKBOX_PROFIT_USER: 'multi',
        BLACKBOX_PROFIT_PASSWORD: 'p',
        BLACKBOX_PROFIT_ACCOUNT: '7654321',
      },
    }));
    b.setListener(rec);
    await b.connect();
    expect(b.isConnected()).toBe(true);
    b.submit({ clientOrderId: 'env1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    await waitFor(() => rec.lastOf('env1')?.status === 'new', 'ack');
    const ledger = readFileSync(join(dataDir, PROFITDLL_STATE_FILE), 'utf8');
    expect(ledger).toContain('"cid":"env1","account":"7654321"');
    expect(statSync(join(dataDir, PROFITDLL_STATE_FILE)).mode & 0o777).toBe(0o600);
  });
});

describe('a DLL that cannot be used', () => {
  async function failing(dllPath: string): Promise<{ rec: Recorder; b: ProfitDllBroker }> {
    const rec = new Recorder();
    const b = start(rec, { dllPath });
    await b.connect();
    expect(b.isConnected()).toBe(false);
    expect(rec.connections).toHaveLength(1);
    expect(rec.connections[0].connected).toBe(false);
    expect(rec.logs.some((l) => l.level === 'error' && l.msg === b.status().message)).toBe(true);
    return { rec, b };
  }

  it('wrong path', async () => {
    const { b } = await failing('/nonexistent/ProfitDLL64.dll');
    expectBilingual(b.status().message, /ProfitDLL não encontrada em \/nonexistent/, /ProfitDLL not found at \/nonexistent/);
    // connect() is settled for good: calling it again does not retry or throw.
    await b.connect();
  });

  it('folder without the DLL', async () => {
    const { b } = await failing(tmpdir());
    expectBilingual(b.status().message, /não encontrada na pasta/, /not found in folder .*libprofitdll\.so/);
  });

  it('32-bit library in 64-bit Node', async () => {
    const { b } = await failing(join(KOFFI_BUILDS, 'linux_ia32', 'koffi.node'));
    expectBilingual(b.status().message, /Arquitetura errada: .* é ia32 e o Node.js é x64/, /Wrong architecture: .* is ia32 and Node.js is x64/);
  });

  it('library for another CPU', async () => {
    const { b } = await failing(join(KOFFI_BUILDS, 'linux_arm64', 'koffi.node'));
    expectBilingual(b.status().message, /é arm64/, /is arm64/);
  });

  it('Windows DLL on Linux', async () => {
    const { b } = await failing(join(KOFFI_BUILDS, 'win32_x64', 'koffi.node'));
    expectBilingual(b.status().message, /é uma DLL do Windows e não carrega em linux/, /is a Windows DLL and cannot load on linux/);
  });

  it('a file that is not a library', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profitdll-'));
    const fake = join(dir, 'ProfitDLL64.dll');
    writeFileSync(fake, 'not a library');
    const { b } = await failing(fake);
    expectBilingual(b.status().message, /não é uma biblioteca compartilhada válida/, /is not a valid shared library/);
  });

  it('a valid library that is not ProfitDLL', async () => {
    const { b } = await failing(join(KOFFI_BUILDS, 'linux_x64', 'koffi.node'));
    expectBilingual(b.status().message, /não exporta DLLInitializeLogin/, /does not export DLLInitializeLogin/);
  });

  it('a library the loader rejects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profitdll-'));
    const truncated = join(dir, 'libprofitdll.so');
    // A valid x64 ELF header with nothing behind it: passes the header check, fails in dlopen.
    const header = Buffer.alloc(64);
    header.write('\x7fELF', 0, 'latin1');
    header[4] = 2;
    header[5] = 1;
    header.writeUInt16LE(0x3e, 18);
    writeFileSync(truncated, header);
    chmodSync(truncated, 0o755);
    const { b } = await failing(truncated);
    expectBilingual(b.status().message, /Falha ao carregar/, /Failed to load/);
  });

  it('a state file that cannot be used', async () => {
    const rec = new Recorder();
    const b = start(rec, { stateFile: tmpdir() });
    await b.connect();
    expect(b.isConnected()).toBe(false);
    expectBilingual(b.status().message, /Falha no arquivo de estado/, /State file .* failed/);
  });
});

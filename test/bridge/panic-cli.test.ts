/** `blackbox panic` from a terminal engages PÂNICO on the running bridge, fast, compiling nothing. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBridge, tempDataDir, type TestBridge } from '../support/bridge.js';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'blackbox.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.BLACKBOX_TOKEN;
    const p = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 }));
  });
}

let b: TestBridge | undefined;
afterEach(async () => {
  await b?.dispose();
  b = undefined;
});

describe('blackbox panic', () => {
  it('engages PÂNICO with the token of the data folder and answers quickly', async () => {
    b = await startTestBridge();
    const r = await run(['panic', '--data', b.dataDir, '--port', String(b.port), '--reason', 'teste terminal']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PÂNICO acionado');
    expect(b.oms.killSwitchState()).toMatchObject({ engaged: true, reason: 'teste terminal' });
    // The TypeScript start took ~1.8 s on a quiet machine; plain JS takes ~0.1 s. Loose for a loaded machine.
    expect(r.ms).toBeLessThan(1_000);
  });

  it('says why when the token is wrong or the bridge is not there', async () => {
    b = await startTestBridge();
    const bad = tempDataDir();
    writeFileSync(path.join(bad, 'token'), 'not-the-token\n');
    const refused = await run(['panic', '--data', bad, '--port', String(b.port)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/a ponte recusou \(401\)/);
    expect(b.oms.killSwitchState().engaged).toBe(false);
    const down = await run(['panic', '--data', b.dataDir, '--port', '1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/ponte inacessível/);
    const noToken = await run(['panic', '--data', path.join(bad, 'nada'), '--port', String(b.port)]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/token não encontrado/);
  });
});

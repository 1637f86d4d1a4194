/**
 * Finds the ProfitDLL file and checks, before loading it, that this process can load it at all:
 * a 32-bit DLL in 64-bit Node, or a Windows DLL on Linux, fails inside the loader with messages like
 * "%1 is not a valid Win32 application" or "invalid ELF header". Reading the header first lets the
 * bridge say what is actually wrong.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProfitDllError, bilingual } from './errors.js';

/** Names tried inside a directory; the 64-bit name first, as the package ships both (§1). */
const CANDIDATES: Record<string, string[]> = {
  win32: ['ProfitDLL64.dll', 'ProfitDLL.dll'],
  linux: ['libprofitdll.so'],
};

export function resolveLibraryPath(configured: string): string {
  const st = statOrUndefined(configured);
  if (st?.isFile()) return configured;
  if (st?.isDirectory()) {
    const names = CANDIDATES[process.platform] ?? [];
    for (const name of names) {
      const candidate = join(configured, name);
      if (statOrUndefined(candidate)?.isFile()) return candidate;
    }
    const tried = names.join(', ');
    throw new ProfitDllError(
      'DLL_NOT_FOUND',
      bilingual(
        `ProfitDLL não encontrada na pasta ${configured} (procurado: ${tried}); ajuste BLACKBOX_PROFITDLL_PATH`,
        `ProfitDLL not found in folder ${configured} (looked for: ${tried}); set BLACKBOX_PROFITDLL_PATH`,
      ),
    );
  }
  throw new ProfitDllError(
    'DLL_NOT_FOUND',
    bilingual(
      `ProfitDLL não encontrada em ${configured}; ajuste BLACKBOX_PROFITDLL_PATH`,
      `ProfitDLL not found at ${configured}; set BLACKBOX_PROFITDLL_PATH`,
    ),
  );
}

type BinaryFormat = { format: 'pe' | 'elf'; arch: string } | { format: 'other' };

const ELF_MACHINES: Record<number, string> = { 0x03: 'ia32', 0x28: 'arm', 0x3e: 'x64', 0xb7: 'arm64' };
const PE_MACHINES: Record<number, string> = { 0x014c: 'ia32', 0x8664: 'x64', 0xaa64: 'arm64' };

export function inspectBinary(path: string): BinaryFormat {
  const header = Buffer.alloc(4096);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 20 && header[0] === 0x7f && header.toString('latin1', 1, 4) === 'ELF') {
    const machine = header.readUInt16LE(18);
    const bits = header[4] === 2 ? 64 : 32;
    return { format: 'elf', arch: ELF_MACHINES[machine] ?? `${bits}-bit ELF machine 0x${machine.toString(16)}` };
  }
  if (n >= 64 && header.toString('latin1', 0, 2) === 'MZ') {
    const pe = header.readUInt32LE(0x3c);
    if (pe + 6 <= n && header.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const machine = header.readUInt16LE(pe + 4);
      return { format: 'pe', arch: PE_MACHINES[machine] ?? `PE machine 0x${machine.toString(16)}` };
    }
  }
  return { format: 'other' };
}

/** Throws a bilingual ProfitDllError when this process cannot load the file. */
export function checkLoadable(path: string, platform = process.platform, arch = process.arch): void {
  const expected = platform === 'win32' ? 'pe' : platform === 'linux' ? 'elf' : undefined;
  if (!expected) return;
  const bin = inspectBinary(path);
  if (bin.format === 'other') {
    throw new ProfitDllError(
      'DLL_LOAD_FAILED',
      bilingual(`${path} não é uma biblioteca compartilhada válida`, `${path} is not a valid shared library`),
    );
  }
  if (bin.format !== expected) {
    const kind = bin.format === 'pe' ? 'uma DLL do Windows' : 'uma biblioteca Linux (ELF)';
    const kindEn = bin.format === 'pe' ? 'a Windows DLL' : 'a Linux (ELF) library';
    throw new ProfitDllError(
      'DLL_WRONG_ARCHITECTURE',
      bilingual(
        `${path} é ${kind} e não carrega em ${platform}; a ProfitDLL real roda só no Windows 64 bits`,
        `${path} is ${kindEn} and cannot load on ${platform}; the real ProfitDLL runs on 64-bit Windows only`,
      ),
    );
  }
  if (bin.arch !== arch) {
    throw new ProfitDllError(
      'DLL_WRONG_ARCHITECTURE',
      bilingual(
        `Arquitetura errada: ${path} é ${bin.arch} e o Node.js é ${arch}; use a ProfitDLL64.dll com Node.js 64 bits`,
        `Wrong architecture: ${path} is ${bin.arch} and Node.js is ${arch}; use ProfitDLL64.dll with 64-bit Node.js`,
      ),
    );
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

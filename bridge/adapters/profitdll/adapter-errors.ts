/** The adapter's own refusals that several of its parts raise, beside the DLL's NL_* codes (errors.ts). */
import { type AdapterErrorName, ProfitDllError, bilingual } from './errors.js';

export function adapterError(code: AdapterErrorName, pt: string, en: string): ProfitDllError {
  return new ProfitDllError(code, bilingual(pt, en));
}

export function notConnected(): ProfitDllError {
  return adapterError(
    'NOT_CONNECTED',
    'Não conectado à corretora pela ProfitDLL: nada foi enviado',
    'Not connected to the broker through ProfitDLL: nothing was sent',
  );
}

export function unknownInstrument(symbol: string): ProfitDllError {
  return adapterError('UNKNOWN_INSTRUMENT', `Ativo ${symbol} desconhecido na ponte`, `Instrument ${symbol} unknown to the bridge`);
}

export function stateFileError(stateFile: string | undefined, e: unknown): ProfitDllError {
  const file = stateFile ?? '';
  return adapterError(
    'STATE_FILE_FAILED',
    `Falha no arquivo de estado ${file}: ${(e as Error).message}`,
    `State file ${file} failed: ${(e as Error).message}`,
  );
}

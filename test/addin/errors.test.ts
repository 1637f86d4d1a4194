/**
 * What a PM reads when something goes wrong: pt-BR, with what to do, never the browser's or the
 * WebSocket's English text.
 */
import { describe, expect, it } from 'vitest';
import { errorItemMessage, httpErrorMessage, PANIC_BLOCKS_START, strategyStartMessage, timeoutMessage, unreachableMessage, wsRefusalMessage } from '../../addin/src/core/errors.js';


describe('pane error messages', () => {
  it('turns the WebSocket refusals (English, for developers) into pt-BR with what to do', () => {
    for (const [code, message, expected] of [
      ['invalid_token', 'the token is not valid', 'Configurações'],
      ['auth_timeout', 'no auth message within 10000 ms', 'tenta de novo'],
      ['too_many_clients', 'too many WebSocket clients', 'Feche painéis'],
      ['closing', 'the bridge is shutting down', 'reconecta sozinho'],
      ['forbidden', 'this origin may not open the WebSocket', 'allowedOrigins'],
    ] as const) {
      const text = wsRefusalMessage([{ field: code === 'forbidden' ? 'origin' : 'token', code, message }]);
      expect(text).toContain(expected);
      expect(text).not.toContain(message);
      expect(text).toMatch(/BlackBox|painel/);
    }
  });

  it('names the role a forbidden action needs', () => {
    expect(errorItemMessage({ field: 'token', code: 'forbidden', message: 'ação exige papel admin' })).toContain('perfil administrador');
  });

  it('keeps the bridge\'s own pt-BR field errors', () => {
    expect(httpErrorMessage(422, [{ field: 'qty', code: 'lot', message: 'quantidade 150 não é múltipla do lote 100 de PETR4' }])).toBe(
      'quantidade 150 não é múltipla do lote 100 de PETR4',
    );
  });

  it('says what to do for statuses without a body', () => {
    expect(httpErrorMessage(401, [])).toContain('Configurações');
    expect(httpErrorMessage(429, [])).toContain('Aguarde');
    expect(httpErrorMessage(503, [])).toContain('código 503');
    expect(httpErrorMessage(418, [])).toContain('código 418');
  });

  it('tells an unreachable bridge from a slow one, and a read from an action', () => {
    expect(unreachableMessage('http://127.0.0.1:3210')).toContain('npx blackbox start');
    expect(timeoutMessage(15, 'GET')).toContain('Tente de novo');
    expect(timeoutMessage(15, 'POST')).toContain('confira em Ordens antes de repetir');
  });

  it('a strategy refused while PÂNICO is engaged says so and what to do', () => {
    expect(strategyStartMessage(409, [], 'x')).toBe(PANIC_BLOCKS_START);
    expect(strategyStartMessage(409, [{ field: 'strategy', code: 'trading_halted', message: 'PÂNICO acionado: nenhuma estratégia inicia até ser liberado' }], 'x')).toBe(PANIC_BLOCKS_START);
    // Another conflict is not PÂNICO: the bridge's words stand.
    expect(strategyStartMessage(409, [{ field: 'strategy', code: 'capacity', message: 'já há 20 estratégias rodando' }], 'já há 20 estratégias rodando')).toBe('já há 20 estratégias rodando');
    expect(PANIC_BLOCKS_START).toContain('administrador');
    expect(strategyStartMessage(422, [], 'o que o bridge disse')).toBe('o que o bridge disse');
  });

  it('dates in the bridge\'s messages read dd/mm/aaaa', () => {
    expect(errorItemMessage({ field: 'spec.symbols', code: 'no_data', message: 'sem candles de XPTO4 entre 2024-01-02 e 2024-03-28. Guardado na base: PETR4 1d de 2024-01-02 a 2024-12-30 (251 linhas)' })).toBe(
      'sem candles de XPTO4 entre 02/01/2024 e 28/03/2024. Guardado na base: PETR4 1d de 02/01/2024 a 30/12/2024 (251 linhas)',
    );
    expect(errorItemMessage({ field: 'x', code: 'y', message: 'às 2024-01-02T13:00:00Z' })).toBe('às 2024-01-02T13:00:00Z');
  });
});

/**
 * The broker warnings the shell shows: the Portuguese half of the bridge's "pt / en" texts, never
 * the English one, capitalised, without repeats, and a count when there are more than fit.
 */
import { describe, expect, it } from 'vitest';
import type { BrokerDiagnosticsView, HealthView } from '../../common/types.js';
import { brokerWarnings, MAX_WARNING_LINES, portugueseOf } from '../../addin/src/core/broker-diagnostics.js';

const broker = (warnings: string[]): HealthView['broker'] => ({
  name: 'profitdll',
  connected: false,
  diagnostics: { path: 'relay', lostEvents: 0, lostTrades: 0, lostOrderEvents: 0, warnings } satisfies BrokerDiagnosticsView,
});

describe('broker warnings in the shell', () => {
  it('keeps the Portuguese half of a bilingual warning, capitalised', () => {
    const w = brokerWarnings(
      broker([
        'conectado ao roteamento, aguardando corretora (estado 2; ordens seguem no estado 5, ou no 2 com BLACKBOX_PROFIT_ROUTING_READY=2) / connected to routing, waiting for the broker (state 2; orders go at state 5)',
        '1.204 eventos da ProfitDLL perdidos por fila cheia (1.200 negócios, 4 de ordens, 0 outros); ordens relidas da DLL / 1204 ProfitDLL events lost to a full queue (1200 trades, 4 order events, 0 others); orders read back from the DLL',
      ]),
    );
    expect(w.lines).toEqual([
      'Conectado ao roteamento, aguardando corretora (estado 2; ordens seguem no estado 5, ou no 2 com BLACKBOX_PROFIT_ROUTING_READY=2)',
      '1.204 eventos da ProfitDLL perdidos por fila cheia (1.200 negócios, 4 de ordens, 0 outros); ordens relidas da DLL',
    ]);
    expect(w.lines.join('\n')).not.toMatch(/waiting|lost|queue/);
    expect(w.more).toBe(0);
  });

  it('shows nothing when the broker reports no diagnostics or no warnings (the simulator)', () => {
    expect(brokerWarnings(undefined)).toEqual({ lines: [], more: 0 });
    expect(brokerWarnings({ name: 'sim', connected: true })).toEqual({ lines: [], more: 0 });
    expect(brokerWarnings(broker([]))).toEqual({ lines: [], more: 0 });
  });

  it('drops repeats and counts what does not fit at 420 px', () => {
    const many = Array.from({ length: MAX_WARNING_LINES + 2 }, (_, i) => `aviso ${i} / warning ${i}`);
    const w = brokerWarnings(broker([...many, 'aviso 0 / warning 0']));
    expect(w.lines).toHaveLength(MAX_WARNING_LINES);
    expect(w.lines[0]).toBe('Aviso 0');
    expect(w.more).toBe(2);
  });

  it('keeps a text that has no English half whole', () => {
    expect(portugueseOf('Corretora desconectada')).toBe('Corretora desconectada');
  });
});

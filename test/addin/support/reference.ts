/** Reference data the sheet tests parse against (shaped like GET /api/algos, /api/instruments, /api/clients). */
import type { AlgoDescriptor } from '../../../addin/src/core/algos.js';
import type { ClientView, InstrumentView } from '../../../common/types.js';

export const ALGOS: AlgoDescriptor[] = [
  { type: 'full', label: 'Ordem cheia', params: [] },
  {
    type: 'iceberg',
    label: 'Iceberg',
    params: [
      { name: 'displayQty', label: 'Lote visível', kind: 'integer', required: true, min: 1, help: 'Quantidade mostrada por vez' },
      { name: 'randomizePct', label: 'Aleatorizar (%)', kind: 'percent', required: false, min: 0, max: 50, default: 0, help: '±%' },
    ],
  },
  {
    type: 'twap',
    label: 'TWAP',
    params: [
      { name: 'startTime', label: 'Início', kind: 'time', required: true, help: 'hh:mm' },
      { name: 'endTime', label: 'Fim', kind: 'time', required: true, help: 'hh:mm' },
      { name: 'sliceSeconds', label: 'Intervalo (s)', kind: 'integer', required: false, min: 5, max: 3600, default: 60, help: '' },
    ],
  },
  {
    type: 'vwap',
    label: 'VWAP',
    params: [
      { name: 'startTime', label: 'Início', kind: 'time', required: true, help: '' },
      { name: 'endTime', label: 'Fim', kind: 'time', required: true, help: '' },
      { name: 'maxParticipation', label: 'Participação máx. (%)', kind: 'percent', required: false, min: 1, max: 50, help: '' },
    ],
  },
  {
    type: 'cover',
    label: 'Cobrir até X',
    requiresLimit: true,
    params: [{ name: 'minRepriceMs', label: 'Intervalo mín. (ms)', kind: 'integer', required: false, min: 100, default: 1000, help: '' }],
  },
];

const stock = (symbol: string, name: string): InstrumentView => ({
  symbol,
  name,
  kind: 'stock',
  tickSize: 0.01,
  lotSize: 100,
  pointValue: 1,
  settlementDays: 2,
});

export const INSTRUMENTS: InstrumentView[] = [
  stock('PETR4', 'PETROBRAS PN'),
  stock('VALE3', 'VALE ON'),
  { ...stock('PETR4F', 'PETROBRAS PN (fracionário)'), kind: 'fractional', lotSize: 1, underlying: 'PETR4' },
  { symbol: 'WINZ26', name: 'MINI IBOVESPA', kind: 'future', tickSize: 5, lotSize: 1, pointValue: 0.2, settlementDays: 1 },
  { symbol: 'WDOZ26', name: 'MINI DOLAR', kind: 'future', tickSize: 0.5, lotSize: 1, pointValue: 10, settlementDays: 1 },
];

export const CLIENTS: ClientView[] = [
  { id: 'CLI1', name: 'Fundo Alfa', openingCash: 1_000_000 },
  { id: 'CLI2', name: 'Carteira Beta', openingCash: 500_000 },
  { id: 'CLI3', name: 'Clube Gama', openingCash: 250_000 },
];

export const REF = { algos: ALGOS, instruments: INSTRUMENTS, clients: CLIENTS };

export const HEADER = ['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Tipo', 'Preço limite', 'Lote visível', 'Aleatorizar (%)', 'Início', 'Fim', 'Intervalo (s)', 'Participação máx. (%)', 'Intervalo mín. (ms)', 'ID da ordem', 'Status', 'Mensagem'];

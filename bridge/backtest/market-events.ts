/**
 * The recorded market as the replay sees it: closed candles and prints, in integer ticks of the
 * instrument that trades them, each at the instant it becomes known (a bar at its end).
 */

/** Aggressor as market.db stores it: 0 unknown, 1 buyer, 2 seller, 3 auction, 4 RLP. */
export type Aggressor = 0 | 1 | 2 | 3 | 4;

export interface BarEvent {
  kind: 'bar';
  /** The series' own name (`PETR4`, `WINFUT`): what the strategy asked for. */
  dataSymbol: string;
  startMs: number;
  /** When the bar is known: its end. */
  timeMs: number;
  openTicks: number;
  highTicks: number;
  lowTicks: number;
  closeTicks: number;
  qty: number;
  volumeCentavos: number;
}

export interface PrintEvent {
  kind: 'print';
  dataSymbol: string;
  timeMs: number;
  priceTicks: number;
  qty: number;
  aggressor: Aggressor;
}

export type MarketEvent = BarEvent | PrintEvent;

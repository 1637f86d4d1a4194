/**
 * Reversão à média, intraday, on 5-minute bars: when the close falls `entryZ` standard deviations
 * below its moving average it buys with a limit at the close; it sells when the close is back at the
 * average (`exitZ`); it ends every day flat, at market, from `flatAfter` (São Paulo time).
 */
import { defineStrategy } from '../api.js';

export default defineStrategy({
  name: 'Reversão à média (5 min)',
  description: 'Compra quando o fechamento cai entryZ desvios abaixo da média; vende na volta à média; zera no fim do dia.',
  params: {
    lookback: { type: 'integer', default: 20, min: 2, max: 500, label: 'Janela (barras)' },
    entryZ: { type: 'number', default: 2, min: 0.1, max: 10, label: 'Entrada (desvios)' },
    exitZ: { type: 'number', default: 0, min: -5, max: 5, label: 'Saída (desvios)' },
    qty: { type: 'integer', default: 100, min: 1, label: 'Quantidade' },
    flatAfter: { type: 'string', default: '17:30', label: 'Zerar a partir de (hh:mm)' },
  },
  setup(ctx) {
    const m = /^(\d{2}):(\d{2})$/.exec(ctx.params.flatAfter);
    if (!m) throw new Error(`flatAfter: use hh:mm, recebi ${ctx.params.flatAfter}`);
    const flatMinute = Number(m[1]) * 60 + Number(m[2]);
    const bands = new Map(ctx.symbols.map((s) => [s, new ctx.indicators.BollingerBands(ctx.params.lookback, ctx.params.entryZ)]));
    return {
      onBar(bar) {
        const bb = bands.get(bar.symbol)!;
        const band = bb.update(bar.close, false);
        const held = ctx.position(bar.symbol).qty;
        const busy = ctx.openOrders(bar.symbol).length > 0;
        const minute = ctx.saoPaulo(bar.t + 5 * 60_000).minute;
        if (minute >= flatMinute) {
          if (held > 0 && !busy) ctx.submit({ symbol: bar.symbol, side: 'sell', qty: held });
          return;
        }
        if (!band || busy) return;
        const sd = (band.upper - band.middle) / ctx.params.entryZ;
        if (!(sd > 0)) return;
        const z = (bar.close - band.middle) / sd;
        if (held === 0 && z <= -ctx.params.entryZ) {
          const qty = ctx.roundQty(bar.symbol, ctx.params.qty);
          if (qty > 0) ctx.submit({ symbol: bar.symbol, side: 'buy', qty, limitPrice: ctx.roundPrice(bar.symbol, bar.close, 'buy') });
        } else if (held > 0 && z >= ctx.params.exitZ) {
          ctx.submit({ symbol: bar.symbol, side: 'sell', qty: held, limitPrice: ctx.roundPrice(bar.symbol, bar.close, 'sell') });
        }
      },
    };
  },
});

/**
 * Cruzamento de médias: long when the fast simple moving average of closes crosses above the slow
 * one, flat when it crosses below. One position per symbol, in whole lots, at market.
 */
import { defineStrategy } from '../api.js';

export default defineStrategy({
  name: 'Cruzamento de médias',
  description: 'Compra quando a média curta cruza a longa para cima; zera a posição quando cruza para baixo.',
  params: {
    fast: { type: 'integer', default: 9, min: 1, max: 500, label: 'Média curta (barras)' },
    slow: { type: 'integer', default: 21, min: 2, max: 2000, label: 'Média longa (barras)' },
    qty: { type: 'integer', default: 100, min: 1, label: 'Quantidade por entrada' },
  },
  setup(ctx) {
    if (ctx.params.fast >= ctx.params.slow) throw new Error(`a média curta (${ctx.params.fast}) deve ser menor que a longa (${ctx.params.slow})`);
    const state = new Map(
      ctx.symbols.map((s) => [s, { fast: new ctx.indicators.SMA(ctx.params.fast), slow: new ctx.indicators.SMA(ctx.params.slow), prev: undefined as number | undefined }]),
    );
    return {
      onBar(bar) {
        const st = state.get(bar.symbol)!;
        const fast = st.fast.update(bar.close, false);
        const slow = st.slow.update(bar.close, false);
        if (fast === null || slow === null) return;
        const diff = fast - slow;
        const prev = st.prev;
        st.prev = diff;
        if (prev === undefined || ctx.openOrders(bar.symbol).length > 0) return;
        const held = ctx.position(bar.symbol).qty;
        if (prev <= 0 && diff > 0 && held <= 0) {
          const qty = ctx.roundQty(bar.symbol, ctx.params.qty) - held;
          if (qty > 0) ctx.submit({ symbol: bar.symbol, side: 'buy', qty });
        } else if (prev >= 0 && diff < 0 && held > 0) {
          ctx.submit({ symbol: bar.symbol, side: 'sell', qty: held });
        }
      },
    };
  },
});

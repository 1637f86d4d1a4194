/**
 * Rebalanceamento de carteiras: brings every client of the run to target weights, with one block
 * boleta per asset and side for all the clients that need it (the bridge's rateio splits each fill
 * at one average price). Sells go first; the buys are sized after the sells are done, with the cash
 * they freed (projected to D+2, as a desk plans). Drift below `band` is left alone.
 */
import { type AlgoSpec, defineStrategy } from '../api.js';

export default defineStrategy({
  name: 'Rebalanceamento de carteiras',
  description: 'Leva as carteiras dos clientes aos pesos-alvo com boletas em bloco (vendas primeiro, depois compras).',
  params: {
    targets: { type: 'string', default: 'PETR4=0.4,VALE3=0.3,ITUB4=0.3', label: 'Pesos-alvo (ATIVO=peso, …)' },
    every: { type: 'enum', default: 'monthly', options: ['daily', 'weekly', 'monthly'], label: 'Frequência' },
    band: { type: 'number', default: 0.02, min: 0, max: 0.5, label: 'Tolerância (fração do patrimônio)' },
    algo: { type: 'enum', default: 'full', options: ['full', 'twap', 'vwap'], label: 'Tipo de boleta' },
    sliceSec: { type: 'integer', default: 60, min: 1, max: 3600, label: 'Intervalo das fatias TWAP/VWAP (s)' },
  },
  setup(ctx) {
    const targets = new Map<string, number>();
    for (const part of ctx.params.targets.split(',')) {
      const [sym, w] = part.split('=').map((x) => x.trim());
      const weight = Number(w);
      if (!sym || !Number.isFinite(weight) || weight < 0) throw new Error(`targets: "${part}" não é ATIVO=peso`);
      if (!ctx.symbols.includes(sym.toUpperCase())) throw new Error(`targets: ${sym} não está nos ativos da execução (${ctx.symbols.join(', ')})`);
      targets.set(sym.toUpperCase(), weight);
    }
    const total = [...targets.values()].reduce((a, b) => a + b, 0);
    if (total > 1 + 1e-9) throw new Error(`targets: os pesos somam ${total}, mais que 1`);
    const algo: AlgoSpec = ctx.params.algo === 'full' ? { type: 'full' } : { type: ctx.params.algo as 'twap' | 'vwap', sliceSec: ctx.params.sliceSec };
    let phase: 'idle' | 'selling' | 'buying' = 'idle';
    let lastPeriod = '';

    const periodOf = (t: number) => {
      const { date, weekday } = ctx.saoPaulo(t);
      if (ctx.params.every === 'daily') return date;
      if (ctx.params.every === 'monthly') return date.slice(0, 7);
      // The week starts on the Monday of the date.
      const d = new Date(`${date}T12:00:00Z`);
      d.setUTCDate(d.getUTCDate() - (weekday - 1));
      return d.toISOString().slice(0, 10);
    };

    /** Per symbol, the quantity each client must trade to be on target (positive buys). */
    const deltas = () => {
      const out = new Map<string, Array<{ client: string; qty: number }>>();
      for (const client of ctx.clients) {
        let equity = ctx.cash(client).d2;
        for (const sym of targets.keys()) equity += ctx.position(sym, client).qty * (ctx.last(sym) ?? 0);
        if (!(equity > 0)) continue;
        for (const [sym, w] of targets) {
          const last = ctx.last(sym);
          if (!last) continue;
          const held = ctx.position(sym, client).qty;
          const drift = Math.abs(held * last - w * equity) / equity;
          if (drift < ctx.params.band) continue;
          const want = ctx.roundQty(sym, (w * equity) / last);
          if (want !== held) out.set(sym, [...(out.get(sym) ?? []), { client, qty: want - held }]);
        }
      }
      return out;
    };

    const send = (side: 'buy' | 'sell') => {
      let sent = 0;
      for (const [sym, rows] of deltas()) {
        const mine = rows.filter((r) => (side === 'buy' ? r.qty > 0 : r.qty < 0)).map((r) => ({ client: r.client, qty: Math.abs(r.qty) }));
        if (mine.length === 0) continue;
        const qty = mine.reduce((a, r) => a + r.qty, 0);
        ctx.submit(mine.length === 1 ? { symbol: sym, side, qty, client: mine[0].client, algo } : { symbol: sym, side, qty, allocations: mine, algo });
        sent++;
      }
      return sent;
    };

    const advance = () => {
      if (ctx.openOrders().length > 0) return;
      if (phase === 'selling') {
        phase = send('buy') > 0 ? 'buying' : 'idle';
      } else if (phase === 'buying') {
        phase = 'idle';
      }
    };

    return {
      onBar(bar) {
        const period = periodOf(bar.t);
        if (phase !== 'idle' || period === lastPeriod) return;
        // Every target needs a price before the portfolio can be weighed.
        for (const sym of targets.keys()) if (ctx.last(sym) === undefined) return;
        lastPeriod = period;
        phase = send('sell') > 0 ? 'selling' : send('buy') > 0 ? 'buying' : 'idle';
        if (phase !== 'idle') ctx.log(`rebalanceamento de ${period}: ${phase === 'selling' ? 'vendas' : 'compras'} enviadas`);
      },
      onOrder() {
        advance();
      },
    };
  },
});

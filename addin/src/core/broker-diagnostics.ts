/**
 * What the broker connection reports as wrong (HealthView.broker.diagnostics), as pt-BR lines for
 * the shell. The ProfitDLL adapter writes each warning as "português / English"; the pane shows the
 * Portuguese half only, with a capital first letter.
 */
import type { HealthView } from '../../../common/types.js';

/** The bridge joins the two languages with this separator (bridge/adapters/profitdll/errors.ts). */
const BILINGUAL_SEPARATOR = ' / ';
/** A pane at 420 px has room for a few lines; the rest are counted. */
export const MAX_WARNING_LINES = 4;

/** The Portuguese half of a bilingual "pt / en" text; a text without the separator is kept whole. */
export function portugueseOf(text: string): string {
  const cut = text.indexOf(BILINGUAL_SEPARATOR);
  const pt = (cut >= 0 ? text.slice(0, cut) : text).trim();
  return pt.charAt(0).toLocaleUpperCase('pt-BR') + pt.slice(1);
}

export interface BrokerWarnings {
  /** At most MAX_WARNING_LINES, in the bridge's order. */
  lines: string[];
  /** How many more were not shown. */
  more: number;
}

export function brokerWarnings(broker: HealthView['broker'] | undefined): BrokerWarnings {
  const all = [...new Set((broker?.diagnostics?.warnings ?? []).map(portugueseOf).filter(Boolean))];
  return { lines: all.slice(0, MAX_WARNING_LINES), more: Math.max(0, all.length - MAX_WARNING_LINES) };
}

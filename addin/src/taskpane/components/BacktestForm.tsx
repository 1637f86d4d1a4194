/**
 * The fields of a backtest (and of a sweep, whose parameters are lists of values to try): strategy
 * with its description, its parameters, symbols (with what the database holds for them), dates in
 * dd/mm/aaaa, interval, clients and their starting cash, seed, CDI for the Sharpe ratio, data source
 * and a label. Errors, local or the bridge's 422, show on the field they name.
 */
import { Button, Field, Input, makeStyles, MessageBar, MessageBarBody, Select, Spinner, tokens } from '@fluentui/react-components';
import { Play20Regular } from '@fluentui/react-icons';
import { useMemo } from 'react';
import type { StrategyView } from '../../../../common/backtest.js';
import type { CoverageRow } from '../../../../common/marketdata.js';
import { combinations, INTERVAL_OPTIONS, parseGridValues, parseSymbols, RANK_OPTIONS, SOURCE_OPTIONS, storedText, type BacktestForm as Form, type FieldErrors, type RankBy } from '../../core/backtests.js';
import { fmtQty } from '../../core/format.js';
import { usePane } from '../context.js';
import { useAsync, useConnection } from '../hooks.js';
import { DateField } from './DateField.js';
import { StrategyParamsFields } from './StrategyParamsFields.js';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: '10px', maxWidth: '900px' },
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(170px, 1fr))', gap: '8px 10px', alignItems: 'start' },
  wide: { gridColumn: '1 / -1' },
  full: { width: '100%', minWidth: 0 },
  desc: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2, margin: 0 },
  h: { fontSize: tokens.fontSizeBase200, fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForeground3, textTransform: 'uppercase', letterSpacing: '0.05em', margin: '4px 0 0' },
  actions: { display: 'flex', alignItems: 'center', gap: '8px', flexWrap: 'wrap' },
  muted: { color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
});

export interface BacktestFormProps {
  mode: 'run' | 'sweep';
  form: Form;
  onForm: (f: Form) => void;
  strategies: StrategyView[] | undefined;
  strategiesError?: string;
  grid?: Record<string, string>;
  onGrid?: (g: Record<string, string>) => void;
  rankBy?: RankBy;
  onRankBy?: (r: RankBy) => void;
  errors: FieldErrors;
  general: string[];
  busy: boolean;
  onSubmit: () => void;
}

export function BacktestFormView(p: BacktestFormProps): JSX.Element {
  const s = useStyles();
  const { client, canTrade } = usePane();
  const open = useConnection(client).state === 'open';
  const coverage = useAsync(() => client.cachedGet<CoverageRow[]>('/api/marketdata/coverage', 30_000), [client, open]);
  const { form, onForm, errors } = p;
  const strategy = p.strategies?.find((x) => x.id === form.strategy);
  const sweep = p.mode === 'sweep';
  const set = <K extends keyof Form>(k: K, v: Form[K]) => onForm({ ...form, [k]: v });
  const err = (k: string) => errors[k];
  const prefix = sweep ? 'sweep' : 'bt';
  const symbols = useMemo(() => parseSymbols(form.symbols), [form.symbols]);
  const stored = coverage.data && symbols.length ? storedText(coverage.data, symbols) : '';
  const combos = useMemo(() => {
    if (!sweep || !strategy) return 0;
    const g: Record<string, unknown[]> = {};
    for (const x of strategy.params) {
      const r = parseGridValues(x, p.grid?.[x.name] ?? '');
      if (r.ok && r.values.length) g[x.name] = r.values;
    }
    return combinations(g);
  }, [sweep, strategy, p.grid]);

  return (
    <form
      className={s.form}
      data-testid={`${prefix}-form`}
      onSubmit={(e) => {
        e.preventDefault();
        p.onSubmit();
      }}
    >
      <Field label="Estratégia" size="small" required validationMessage={err('strategy')} validationState={err('strategy') ? 'error' : 'none'}>
        <Select
          size="small"
          value={form.strategy}
          onChange={(_, d) => onForm({ ...form, strategy: d.value, params: {} })}
          data-testid={`${prefix}-strategy`}
          disabled={!p.strategies}
        >
          <option value="">{p.strategies ? 'Escolha…' : 'Carregando…'}</option>
          {(p.strategies ?? []).map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
              {x.source === 'file' ? ` (arquivo ${x.id})` : ''}
            </option>
          ))}
        </Select>
      </Field>
      {p.strategiesError && (
        <MessageBar intent="error">
          <MessageBarBody>Não consegui carregar as estratégias: {p.strategiesError}</MessageBarBody>
        </MessageBar>
      )}
      {strategy?.description && (
        <p className={s.desc} data-testid={`${prefix}-strategy-description`}>
          {strategy.description}
        </p>
      )}
      {strategy && strategy.params.length > 0 && (
        <>
          <div className={s.h}>{sweep ? 'Valores a testar' : 'Parâmetros'}</div>
          <StrategyParamsFields
            params={strategy.params}
            mode={sweep ? 'grid' : 'value'}
            values={sweep ? (p.grid ?? {}) : form.params}
            onChange={(name, v) => (sweep ? p.onGrid?.({ ...(p.grid ?? {}), [name]: v }) : set('params', { ...form.params, [name]: v }))}
            errorFor={(name) => err(`${sweep ? 'grid' : 'params'}.${name}`)}
            testPrefix={prefix}
          />
          {sweep && err('grid') && (
            <MessageBar intent="error" data-testid="sweep-grid-error">
              <MessageBarBody>{err('grid')}</MessageBarBody>
            </MessageBar>
          )}
        </>
      )}
      <div className={s.h}>Dados e carteira</div>
      <div className={s.grid}>
        <Field
          className={s.wide}
          label="Ativos"
          size="small"
          required
          hint={stored || 'Separados por vírgula: PETR4, VALE3'}
          validationMessage={err('symbols')}
          validationState={err('symbols') ? 'error' : 'none'}
        >
          <Input className={s.full} size="small" value={form.symbols} onChange={(_, d) => set('symbols', d.value)} placeholder="PETR4, VALE3" data-testid={`${prefix}-symbols`} />
        </Field>
        <FieldError error={err('from')}>
          <DateField label="De" value={form.from} onChange={(v) => set('from', v)} testId={`${prefix}-from`} />
        </FieldError>
        <FieldError error={err('to')}>
          <DateField label="Até" value={form.to} onChange={(v) => set('to', v)} testId={`${prefix}-to`} />
        </FieldError>
        <Field label="Intervalo" size="small" validationMessage={err('interval')} validationState={err('interval') ? 'error' : 'none'}>
          <Select size="small" value={form.interval} onChange={(_, d) => set('interval', d.value as Form['interval'])} data-testid={`${prefix}-interval`}>
            {INTERVAL_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Fonte dos dados" size="small" validationMessage={err('source')} validationState={err('source') ? 'error' : 'none'}>
          <Select size="small" value={form.source} onChange={(_, d) => set('source', d.value as Form['source'])} data-testid={`${prefix}-source`}>
            {SOURCE_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Clientes" size="small" hint="Cada um começa com o caixa ao lado" validationMessage={err('clients')} validationState={err('clients') ? 'error' : 'none'}>
          <Input className={s.full} size="small" value={form.clients} onChange={(_, d) => set('clients', d.value)} data-testid={`${prefix}-clients`} />
        </Field>
        <Field label="Caixa inicial por cliente (R$)" size="small" validationMessage={err('cashBrl')} validationState={err('cashBrl') ? 'error' : 'none'}>
          <Input className={s.full} size="small" value={form.cash} onChange={(_, d) => set('cash', d.value)} inputMode="decimal" data-testid={`${prefix}-cash`} />
        </Field>
        <Field label="CDI (% ao ano)" size="small" hint="Para o Sharpe; vazio = 0" validationMessage={err('riskFreeAnnual')} validationState={err('riskFreeAnnual') ? 'error' : 'none'}>
          <Input className={s.full} size="small" value={form.cdi} onChange={(_, d) => set('cdi', d.value)} inputMode="decimal" placeholder="10,65" contentAfter={<span aria-hidden>%</span>} data-testid={`${prefix}-cdi`} />
        </Field>
        <Field label="Semente" size="small" hint="Mesma semente, mesmo resultado" validationMessage={err('seed')} validationState={err('seed') ? 'error' : 'none'}>
          <Input className={s.full} size="small" value={form.seed} onChange={(_, d) => set('seed', d.value)} inputMode="numeric" data-testid={`${prefix}-seed`} />
        </Field>
        <Field label="Barras de aquecimento" size="small" hint="Barras antes do início, lidas já no começo (médias prontas)" validationMessage={err('warmupBars')} validationState={err('warmupBars') ? 'error' : 'none'}>
          <Input className={s.full} size="small" value={form.warmup} onChange={(_, d) => set('warmup', d.value)} inputMode="numeric" placeholder="0" data-testid={`${prefix}-warmup`} />
        </Field>
        {sweep && (
          <Field label="Ordenar por" size="small" validationMessage={err('rankBy')} validationState={err('rankBy') ? 'error' : 'none'}>
            <Select size="small" value={p.rankBy} onChange={(_, d) => p.onRankBy?.(d.value as RankBy)} data-testid="sweep-rank-by">
              {RANK_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </Select>
          </Field>
        )}
        <Field className={s.wide} label="Rótulo (opcional)" size="small" validationMessage={err('label')} validationState={err('label') ? 'error' : 'none'}>
          <Input className={s.full} size="small" value={form.label} onChange={(_, d) => set('label', d.value)} placeholder="ex.: MA 9/21 PETR4 2024" maxLength={200} data-testid={`${prefix}-label`} />
        </Field>
      </div>
      {p.general.length > 0 && (
        <MessageBar intent="error" data-testid={`${prefix}-error`}>
          <MessageBarBody>{p.general.join(' ')}</MessageBarBody>
        </MessageBar>
      )}
      <div className={s.actions}>
        <Button type="submit" appearance="primary" icon={p.busy ? <Spinner size="tiny" /> : <Play20Regular />} disabled={p.busy || !canTrade} data-testid={`${prefix}-submit`}>
          {sweep ? `Rodar varredura${combos > 1 ? ` (${fmtQty(combos)} combinações)` : ''}` : 'Rodar backtest'}
        </Button>
        {!canTrade && <span className={s.muted}>Seu token é só de consulta.</span>}
      </div>
    </form>
  );
}

/** A DateField's own check is the date's shape; the form's (and the bridge's) message goes under it. */
function FieldError({ error, children }: { error?: string; children: JSX.Element }): JSX.Element {
  return (
    <div style={{ minWidth: 0 }}>
      {children}
      {error && (
        <div role="alert" style={{ color: tokens.colorPaletteRedForeground1, fontSize: tokens.fontSizeBase200, marginTop: 2 }}>
          {error}
        </div>
      )}
    </div>
  );
}

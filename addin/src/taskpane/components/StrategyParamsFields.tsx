/**
 * A strategy's parameters as fields, built from what the bridge says the strategy declares
 * (`StrategyView.params`): integer and number with their range and default as the hint, boolean as a
 * switch, enum as a list, string as text. In a sweep every parameter is a text of values to try.
 * Values stay text until sent (core/backtests parses them), so a 422 can land on the field as typed.
 */
import { Field, Input, makeStyles, Select, Switch } from '@fluentui/react-components';
import type { StrategyParamView } from '../../../../common/backtest.js';
import { paramHintText, paramLabel } from '../../core/backtests.js';

const useStyles = makeStyles({
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(150px, 1fr))', gap: '8px 10px', alignItems: 'start' },
  full: { width: '100%', minWidth: 0 },
});

export function StrategyParamsFields(props: {
  params: readonly StrategyParamView[];
  values: Readonly<Record<string, string>>;
  onChange: (name: string, value: string) => void;
  errorFor: (name: string) => string | undefined;
  /** 'grid': the values to try in a sweep, separated by commas. */
  mode?: 'value' | 'grid';
  disabled?: boolean;
  testPrefix: string;
}): JSX.Element | null {
  const s = useStyles();
  const { params, values, onChange, errorFor, disabled } = props;
  if (params.length === 0) return null;
  const grid = props.mode === 'grid';
  return (
    <div className={s.grid} data-testid={`${props.testPrefix}-params`}>
      {params.map((p) => {
        const error = errorFor(p.name);
        const value = values[p.name] ?? '';
        const testId = `${props.testPrefix}-param-${p.name}`;
        const hint = grid ? `${paramHintText(p)} Vários: separe por vírgula${p.type === 'number' ? ' (com decimais, por ponto e vírgula: 0,5; 1,5)' : ''}.` : paramHintText(p);
        let control: JSX.Element;
        if (!grid && p.type === 'boolean') {
          const checked = value ? /^(sim|true|1)$/i.test(value) : p.default === true;
          control = <Switch checked={checked} disabled={disabled} label={checked ? 'Sim' : 'Não'} onChange={(_, d) => onChange(p.name, d.checked ? 'sim' : 'não')} data-testid={testId} />;
        } else if (!grid && p.type === 'enum') {
          control = (
            <Select className={s.full} size="small" disabled={disabled} value={value || String(p.default ?? '')} onChange={(_, d) => onChange(p.name, d.value)} data-testid={testId}>
              {(p.options ?? []).map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </Select>
          );
        } else {
          const placeholder = grid
            ? p.type === 'enum'
              ? (p.options ?? []).join(', ')
              : p.type === 'boolean'
                ? 'sim, não'
                : String(p.default ?? '').replace('.', ',')
            : typeof p.default === 'number'
              ? String(p.default).replace('.', ',')
              : String(p.default ?? '');
          control = (
            <Input
              className={s.full}
              size="small"
              disabled={disabled}
              value={value}
              onChange={(_, d) => onChange(p.name, d.value)}
              inputMode={!grid && p.type === 'integer' ? 'numeric' : !grid && p.type === 'number' ? 'decimal' : 'text'}
              placeholder={placeholder}
              data-testid={testId}
            />
          );
        }
        return (
          <Field key={p.name} label={paramLabel(p)} size="small" hint={hint || undefined} validationMessage={error} validationState={error ? 'error' : 'none'}>
            {control}
          </Field>
        );
      })}
    </div>
  );
}

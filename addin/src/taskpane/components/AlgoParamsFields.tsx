/**
 * The fields of a ticket type's parameters, built from its GET /api/algos descriptor alone: a new
 * algo (or a new parameter) in the bridge appears here with no add-in change. Values are kept as
 * the text a sheet cell would hold (see paramCell), so the form and the sheet share one parser.
 */
import { Dropdown, Field, Input, makeStyles, Option, Switch } from '@fluentui/react-components';
import { optionLabel, paramHint, type AlgoParamDescriptor } from '../../core/algos.js';

const useStyles = makeStyles({
  // As many columns as fit: one at the narrowest task pane, two or three when there is room.
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(160px, 1fr))', gap: '10px', alignItems: 'start' },
  full: { width: '100%', minWidth: 0 },
});

export interface AlgoParamsFieldsProps {
  params: readonly AlgoParamDescriptor[];
  /** Text per parameter name ('' = not filled: the bridge's default applies). */
  values: Readonly<Record<string, string>>;
  onChange: (name: string, value: string) => void;
  /** The message for a parameter, from the local parser or the bridge's `algo.<param>` error. */
  errorFor: (name: string) => string | undefined;
  disabled?: boolean;
}

export function AlgoParamsFields({ params, values, onChange, errorFor, disabled }: AlgoParamsFieldsProps): JSX.Element | null {
  const s = useStyles();
  if (params.length === 0) return null;
  return (
    <div className={s.grid} data-testid="algo-params">
      {params.map((p) => {
        const error = errorFor(p.name);
        const value = values[p.name] ?? '';
        const hint = paramHint(p) || undefined;
        return (
          <Field
            key={p.name}
            label={p.label}
            required={p.required}
            hint={hint}
            validationMessage={error}
            validationState={error ? 'error' : 'none'}
            data-testid={`param-field-${p.name}`}
          >
            {control(p, value, (v) => onChange(p.name, v), disabled, s.full)}
          </Field>
        );
      })}
    </div>
  );
}

function control(p: AlgoParamDescriptor, value: string, set: (v: string) => void, disabled: boolean | undefined, className: string): JSX.Element {
  const testId = `param-${p.name}`;
  switch (p.kind) {
    case 'boolean': {
      const checked = value ? value === 'sim' : p.default === true;
      return <Switch checked={checked} disabled={disabled} label={checked ? 'Sim' : 'Não'} onChange={(_, d) => set(d.checked ? 'sim' : 'não')} data-testid={testId} />;
    }
    case 'enum': {
      const selected = value || (typeof p.default === 'string' ? p.default : '');
      return (
        <Dropdown
          className={className}
          disabled={disabled}
          value={selected ? optionLabel(p, selected) : ''}
          selectedOptions={selected ? [selected] : []}
          placeholder="Escolha"
          clearable={!p.required && p.default === undefined}
          onOptionSelect={(_, d) => set(d.optionValue ?? '')}
          data-testid={testId}
        >
          {(p.options ?? []).map((o) => (
            <Option key={o.value} value={o.value} text={o.label}>
              {o.label}
            </Option>
          ))}
        </Dropdown>
      );
    }
    case 'time':
      return <Input className={className} disabled={disabled} value={value} onChange={(_, d) => set(d.value)} placeholder="hh:mm" inputMode="numeric" maxLength={8} data-testid={testId} />;
    case 'percent':
      return (
        <Input
          className={className}
          disabled={disabled}
          value={value}
          onChange={(_, d) => set(d.value)}
          inputMode="decimal"
          contentAfter={<span aria-hidden>%</span>}
          data-testid={testId}
        />
      );
    default:
      return (
        <Input
          className={className}
          disabled={disabled}
          value={value}
          onChange={(_, d) => set(d.value)}
          inputMode={p.kind === 'integer' ? 'numeric' : 'decimal'}
          placeholder={p.default !== undefined ? String(p.default).replace('.', ',') : ''}
          data-testid={testId}
        />
      );
  }
}

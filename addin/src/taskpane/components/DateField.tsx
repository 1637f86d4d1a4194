/**
 * A calendar date typed as dd/mm/aaaa. The browser's own date input shows the order of the
 * computer's language (mm/dd/yyyy on an English Windows), which a PM would misread; this one always
 * reads the Brazilian way and hands the caller an ISO date (yyyy-mm-dd).
 */
import { Field, Input } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { fmtDate, parseDateBr } from '../../core/format.js';

export function DateField(props: { label: string; value: string; onChange: (iso: string) => void; testId: string }): JSX.Element {
  const shown = (iso: string) => (iso ? fmtDate(iso) : '');
  const [text, setText] = useState(shown(props.value));
  const [touched, setTouched] = useState(false);
  useEffect(() => setText((t) => (parseDateBr(t) === props.value ? t : shown(props.value))), [props.value]);
  const bad = touched && text.trim() !== '' && !parseDateBr(text);
  return (
    <Field label={props.label} size="small" validationState={bad ? 'error' : 'none'} validationMessage={bad ? 'Data inválida: use dd/mm/aaaa' : undefined}>
      <Input
        size="small"
        value={text}
        placeholder="dd/mm/aaaa"
        inputMode="numeric"
        maxLength={10}
        onChange={(_, d) => {
          setText(d.value);
          const iso = parseDateBr(d.value);
          if (iso) props.onChange(iso);
        }}
        onBlur={() => setTouched(true)}
        data-testid={props.testId}
      />
    </Field>
  );
}

/**
 * "Colunas": which of a table's optional columns to keep on screen whatever the width. A chosen
 * column is always shown (the table then scrolls inside itself if the pane is too narrow, never
 * the pane); the others come and go with the width. The choice is kept on this computer.
 */
import { Button, Menu, MenuItemCheckbox, MenuList, MenuPopover, MenuTrigger } from '@fluentui/react-components';
import { ColumnTriple20Regular } from '@fluentui/react-icons';
import { useState } from 'react';
import type { Column } from './VirtualTable.js';

function load(storageKey: string): string[] {
  try {
    const v = JSON.parse(globalThis.localStorage?.getItem(storageKey) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The columns to keep, and the columns with those promoted to always-shown. */
export function useChosenColumns(storageKey: string): { chosen: string[]; setChosen: (keys: string[]) => void; apply: <T>(cols: Column<T>[]) => Column<T>[] } {
  const [chosen, setState] = useState<string[]>(() => load(storageKey));
  const setChosen = (keys: string[]) => {
    setState(keys);
    try {
      globalThis.localStorage?.setItem(storageKey, JSON.stringify(keys));
    } catch {
      /* storage full or blocked: the choice lasts this session */
    }
  };
  const apply = <T,>(cols: Column<T>[]) => cols.map((c) => (chosen.includes(c.key) ? { ...c, priority: 1 } : c));
  return { chosen, setChosen, apply };
}

export function ColumnChooser<T>({ columns, chosen, onChange, testId }: { columns: Column<T>[]; chosen: string[]; onChange: (keys: string[]) => void; testId: string }): JSX.Element {
  const optional = columns.filter((c) => (c.priority ?? 1) > 1);
  return (
    <Menu checkedValues={{ cols: chosen }} onCheckedValueChange={(_, d) => onChange(d.checkedItems)}>
      <MenuTrigger disableButtonEnhancement>
        <Button size="small" appearance="subtle" icon={<ColumnTriple20Regular />} aria-label="Colunas" title="Escolher colunas fixas" data-testid={testId} />
      </MenuTrigger>
      <MenuPopover>
        <MenuList>
          {optional.map((c) => (
            <MenuItemCheckbox key={c.key} name="cols" value={c.key} data-testid={`${testId}-${c.key}`}>
              {c.label}
            </MenuItemCheckbox>
          ))}
        </MenuList>
      </MenuPopover>
    </Menu>
  );
}

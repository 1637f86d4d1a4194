/**
 * A virtualised, sortable table: only the visible rows are in the DOM, so thousands of orders
 * scroll smoothly in a narrow task pane. It fits the width Excel gives the pane (320–450 px)
 * instead of scrolling sideways: columns with a `priority` above 1 are dropped, least important
 * first, until the rest fit, and a table with a `compact` renderer switches below a width to
 * two-line rows that keep what a PM acts on (status first) on screen.
 */
import { makeStyles, mergeClasses, tokens } from '@fluentui/react-components';
import { ArrowDown12Regular, ArrowUp12Regular } from '@fluentui/react-icons';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  width: number;
  align?: 'left' | 'right' | 'center';
  render: (row: T) => ReactNode;
  sortValue?: (row: T) => string | number;
  title?: (row: T) => string | undefined;
  /** Takes the width left over (otherwise an empty filler column does). */
  flex?: boolean;
  /** 1 (default) always shows; higher numbers are dropped first when the pane is narrow. */
  priority?: number;
}

export interface CompactRows<T> {
  /** Below this width (px) of the table, rows are drawn by `render`. */
  belowPx: number;
  rowHeight: number;
  render: (row: T) => ReactNode;
  /** Columns offered for sorting in compact mode (their keys). */
  sortKeys: string[];
}

export interface SortState {
  key: string;
  dir: 'asc' | 'desc';
}

const useStyles = makeStyles({
  scroller: {
    flex: '1 1 auto',
    minHeight: '120px',
    overflow: 'auto',
    position: 'relative',
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground1,
  },
  header: {
    position: 'sticky',
    top: 0,
    zIndex: 1,
    display: 'grid',
    backgroundColor: tokens.colorNeutralBackground3,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
    fontWeight: tokens.fontWeightSemibold,
    fontSize: tokens.fontSizeBase200,
    color: tokens.colorNeutralForeground2,
  },
  headCell: {
    padding: '6px 8px',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    cursor: 'pointer',
    userSelect: 'none',
    display: 'flex',
    alignItems: 'center',
    gap: '2px',
    ':hover': { backgroundColor: tokens.colorNeutralBackground3Hover },
  },
  row: {
    position: 'absolute',
    left: 0,
    display: 'grid',
    alignItems: 'center',
    fontSize: tokens.fontSizeBase200,
    borderBottom: `1px solid ${tokens.colorNeutralStroke3}`,
    fontVariantNumeric: 'tabular-nums',
  },
  clickable: {
    cursor: 'pointer',
    ':hover': { backgroundColor: tokens.colorNeutralBackground1Hover },
  },
  selected: {
    backgroundColor: tokens.colorBrandBackground2,
    ':hover': { backgroundColor: tokens.colorBrandBackground2Hover },
  },
  cell: {
    padding: '0 8px',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
  },
  compactHeader: { display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: '2px', padding: '0 4px' },
  sortLabel: { padding: '6px 4px', fontWeight: tokens.fontWeightRegular, color: tokens.colorNeutralForeground3 },
  sortChip: { padding: '6px 6px', borderRadius: tokens.borderRadiusSmall },
  compactRow: { display: 'block', width: '100%', boxSizing: 'border-box', padding: '4px 8px', overflow: 'hidden' },
  empty: {
    padding: '24px',
    textAlign: 'center',
    color: tokens.colorNeutralForeground3,
    fontSize: tokens.fontSizeBase300,
  },
});

export interface VirtualTableProps<T> {
  rows: readonly T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  onRowClick?: (row: T) => void;
  selectedKey?: string;
  emptyText?: string;
  defaultSort?: SortState;
  rowHeight?: number;
  testId?: string;
  ariaLabel: string;
  compact?: CompactRows<T>;
  /** Called when the last rows come into view (a table paged from the bridge loads the next page). */
  onEndReached?: () => void;
}

/** The columns that fit `widthPx`: all of priority 1, then by priority while they fit. */
export function fitColumns<T>(columns: Column<T>[], widthPx: number): Column<T>[] {
  if (widthPx <= 0) return columns;
  let used = columns.filter((c) => (c.priority ?? 1) <= 1).reduce((a, c) => a + c.width, 0);
  const keep = new Set(columns.filter((c) => (c.priority ?? 1) <= 1).map((c) => c.key));
  const optional = columns.filter((c) => (c.priority ?? 1) > 1).sort((a, b) => (a.priority ?? 1) - (b.priority ?? 1));
  for (const c of optional) {
    if (used + c.width > widthPx) break;
    used += c.width;
    keep.add(c.key);
  }
  return columns.filter((c) => keep.has(c.key));
}

function useWidth(ref: React.RefObject<HTMLElement>): number {
  const [w, setW] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setW(el.clientWidth);
    const ro = new ResizeObserver(() => setW(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return w;
}

export function VirtualTable<T>(props: VirtualTableProps<T>): JSX.Element {
  const s = useStyles();
  const { rows, columns: allColumns, rowKey, onRowClick, selectedKey, compact } = props;
  const [sort, setSort] = useState<SortState | undefined>(props.defaultSort);
  const scrollRef = useRef<HTMLDivElement>(null);
  const widthPx = useWidth(scrollRef);
  const isCompact = !!compact && widthPx > 0 && widthPx < compact.belowPx;
  const rowHeight = isCompact ? compact!.rowHeight : (props.rowHeight ?? 30);
  const columns = useMemo(() => fitColumns(allColumns, widthPx), [allColumns, widthPx]);
  // Left-over width goes to a flex column, or to an empty filler at the right.
  const hasFlex = columns.some((c) => c.flex);
  const template = columns.map((c) => (c.flex ? `minmax(${c.width}px, 1fr)` : `${c.width}px`)).join(' ') + (hasFlex ? '' : ' 1fr');
  const totalWidth = columns.reduce((a, c) => a + c.width, 0);

  const sorted = useMemo(() => {
    // Sorting may use a column the width has hidden (compact rows show it anyway).
    const col = sort && allColumns.find((c) => c.key === sort.key);
    if (!col?.sortValue) return rows;
    const get = col.sortValue;
    const factor = sort!.dir === 'asc' ? 1 : -1;
    return [...rows].sort((a, b) => {
      const va = get(a);
      const vb = get(b);
      if (typeof va === 'number' && typeof vb === 'number') return (va - vb) * factor;
      return String(va).localeCompare(String(vb), 'pt-BR', { numeric: true }) * factor;
    });
  }, [rows, sort, allColumns]);

  const virtualizer = useVirtualizer({
    count: sorted.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  // Row height changes with the mode: the cached sizes must follow.
  useLayoutEffect(() => virtualizer.measure(), [rowHeight, virtualizer]);
  const items = virtualizer.getVirtualItems();
  const lastShown = items.length ? items[items.length - 1]!.index : -1;
  const onEndReached = props.onEndReached;
  useEffect(() => {
    if (onEndReached && sorted.length > 0 && lastShown >= sorted.length - 10) onEndReached();
  }, [onEndReached, lastShown, sorted.length]);

  const toggleSort = (c: Column<T>) => {
    if (!c.sortValue) return;
    setSort((cur) => (cur?.key === c.key ? { key: c.key, dir: cur.dir === 'asc' ? 'desc' : 'asc' } : { key: c.key, dir: 'asc' }));
  };

  const sortArrow = (c: Column<T>) => (sort?.key === c.key ? sort.dir === 'asc' ? <ArrowUp12Regular /> : <ArrowDown12Regular /> : null);

  return (
    <div
      ref={scrollRef}
      className={s.scroller}
      role="grid"
      aria-label={props.ariaLabel}
      aria-rowcount={sorted.length + 1}
      data-testid={props.testId}
      data-layout={isCompact ? 'compact' : 'columns'}
    >
      {isCompact ? (
        <div className={mergeClasses(s.header, s.compactHeader)} role="row">
          <span className={s.sortLabel}>Ordenar:</span>
          {compact!.sortKeys
            .map((k) => allColumns.find((c) => c.key === k))
            .filter((c): c is Column<T> => !!c)
            .map((c) => (
              <div
                key={c.key}
                role="columnheader"
                className={mergeClasses(s.headCell, s.sortChip)}
                onClick={() => toggleSort(c)}
                aria-sort={sort?.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
                title={`Ordenar por ${c.label}`}
              >
                {c.label}
                {sortArrow(c)}
              </div>
            ))}
        </div>
      ) : (
      <div className={s.header} style={{ gridTemplateColumns: template, width: totalWidth, minWidth: '100%' }} role="row">
        {columns.map((c) => (
          <div
            key={c.key}
            role="columnheader"
            className={s.headCell}
            style={{ justifyContent: c.align === 'right' ? 'flex-end' : c.align === 'center' ? 'center' : 'flex-start' }}
            onClick={() => toggleSort(c)}
            aria-sort={sort?.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
            title={c.sortValue ? `Ordenar por ${c.label}` : c.label}
          >
            {c.label}
            {sortArrow(c)}
          </div>
        ))}
        {!hasFlex && <div aria-hidden />}
      </div>
      )}
      {sorted.length === 0 ? (
        <div className={s.empty}>{props.emptyText ?? 'Nada para mostrar.'}</div>
      ) : (
        <div style={{ height: virtualizer.getTotalSize(), width: isCompact ? '100%' : totalWidth, minWidth: '100%', position: 'relative' }}>
          {items.map((v) => {
            const row = sorted[v.index]!;
            const key = rowKey(row);
            if (isCompact) {
              return (
                <div
                  key={key}
                  role="row"
                  data-rowkey={key}
                  className={mergeClasses(s.row, s.compactRow, onRowClick && s.clickable, selectedKey === key && s.selected)}
                  style={{ top: v.start, height: rowHeight }}
                  onClick={onRowClick ? () => onRowClick(row) : undefined}
                >
                  {compact!.render(row)}
                </div>
              );
            }
            return (
              <div
                key={key}
                role="row"
                data-rowkey={key}
                className={mergeClasses(s.row, onRowClick && s.clickable, selectedKey === key && s.selected)}
                style={{ gridTemplateColumns: template, width: totalWidth, minWidth: '100%', top: v.start, height: rowHeight }}
                onClick={onRowClick ? () => onRowClick(row) : undefined}
              >
                {columns.map((c) => (
                  <div
                    key={c.key}
                    role="gridcell"
                    className={s.cell}
                    style={{ textAlign: c.align ?? 'left' }}
                    title={c.title?.(row)}
                  >
                    {c.render(row)}
                  </div>
                ))}
                {!hasFlex && <div aria-hidden />}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

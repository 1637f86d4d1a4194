/**
 * Boleta única: one client or a block for many clients; ticket types and their parameters come
 * from GET /api/algos. The form is validated by the same row parser as the sheet, and sent with
 * an idempotency key, so a double click sends one order.
 */
import {
  Button,
  Combobox,
  Dropdown,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Option,
  Radio,
  RadioGroup,
  Spinner,
  tokens,
  ToggleButton,
} from '@fluentui/react-components';
import { Add16Regular, Delete16Regular, Send20Regular } from '@fluentui/react-icons';
import { useMemo, useRef, useState } from 'react';
import type { AlgoType, ClientView, InstrumentView, OrderView, QuoteView } from '../../../../common/types.js';
import { paramCell, type AlgoDescriptor } from '../../core/algos.js';
import { isBridgeError, type BridgeError } from '../../core/bridge-client.js';
import { fmtChangePct, fmtDate, fmtPrice, fmtQty, sideLabel } from '../../core/format.js';
import { COLUMN_LABELS, columnForField, fingerprint, newBatchId, parseBoletaRows, type CellValue } from '../../sheets/boleta-rows.js';
import { usePane } from '../context.js';
import { AlgoParamsFields } from './AlgoParamsFields.js';
import { useChannel } from '../hooks.js';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: '10px', maxWidth: '560px' },
  row2: { display: 'grid', gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)', gap: '10px', alignItems: 'start' },
  full: { width: '100%', minWidth: 0 },
  sides: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '6px' },
  buy: {},
  quote: {
    display: 'flex',
    gap: '12px',
    flexWrap: 'wrap',
    fontSize: tokens.fontSizeBase200,
    color: tokens.colorNeutralForeground2,
    padding: '4px 8px',
    backgroundColor: tokens.colorNeutralBackground2,
    borderRadius: tokens.borderRadiusMedium,
    fontVariantNumeric: 'tabular-nums',
  },
  alloc: { display: 'grid', gridTemplateColumns: '1fr 110px auto', gap: '6px', alignItems: 'end' },
  summary: {
    padding: '8px 10px',
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground3,
    fontSize: tokens.fontSizeBase300,
  },
  help: { color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
});

export interface TicketRefs {
  algos: AlgoDescriptor[];
  clients: ClientView[];
  instruments: InstrumentView[];
}

const sessionId = newBatchId();

export function TicketForm({ refs }: { refs: TicketRefs }): JSX.Element {
  const s = useStyles();
  const { client, canTrade, notify } = usePane();
  const [block, setBlock] = useState(false);
  const [who, setWho] = useState('');
  const [allocMode, setAllocMode] = useState<'qty' | 'weight'>('qty');
  const [allocs, setAllocs] = useState<Array<{ client: string; amount: string }>>([
    { client: '', amount: '' },
    { client: '', amount: '' },
  ]);
  const [symbol, setSymbol] = useState('');
  const [side, setSide] = useState<'buy' | 'sell' | ''>('');
  const [qty, setQty] = useState('');
  const [algoType, setAlgoType] = useState(refs.algos[0]?.type ?? 'full');
  const [limit, setLimit] = useState('');
  const [params, setParams] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | undefined>();
  const [sending, setSending] = useState(false);
  const [last, setLast] = useState<{ order: OrderView; duplicate: boolean } | undefined>();
  const counter = useRef(0);
  const inFlight = useRef(false);

  const algo = refs.algos.find((a) => a.type === algoType) ?? refs.algos[0];
  const sym = symbol.trim().toUpperCase();
  const inst = refs.instruments.find((i) => i.symbol === sym);
  const quote = useChannel<QuoteView>(client, inst ? `quotes:${sym}` : undefined, 500);

  const clientCell = block
    ? allocs
        .filter((a) => a.client.trim() || a.amount.trim())
        .map((a) => `${a.client.trim()}:${a.amount.trim()}${allocMode === 'weight' && a.amount.trim() && !a.amount.includes('%') ? '%' : ''}`)
        .join('; ')
    : who;

  // The form is one sheet row: same parser, same messages.
  const header = [COLUMN_LABELS.client, COLUMN_LABELS.symbol, COLUMN_LABELS.side, COLUMN_LABELS.qty, COLUMN_LABELS.algo, COLUMN_LABELS.limitPrice, ...(algo?.params ?? []).map((p) => p.label)];
  const rowValues: CellValue[] = [clientCell, sym, side ? sideLabel(side) : '', qty, algo?.label ?? '', limit, ...(algo?.params ?? []).map((p) => paramCell(p, params[p.name] ?? ''))];
  const parsed = useMemo(
    () => parseBoletaRows({ header, rows: [rowValues], firstSheetRow: 0 }, { algos: refs.algos, instruments: refs.instruments, clients: refs.clients, blankPriceIsMarket: true }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [JSON.stringify(rowValues), algo?.type, refs],
  );
  const row = parsed.rows[0]!;

  const columnToField: Record<string, string> = {
    [COLUMN_LABELS.client]: 'client',
    [COLUMN_LABELS.symbol]: 'symbol',
    [COLUMN_LABELS.side]: 'side',
    [COLUMN_LABELS.qty]: 'qty',
    [COLUMN_LABELS.algo]: 'algo',
    [COLUMN_LABELS.limitPrice]: 'limitPrice',
    ...Object.fromEntries((algo?.params ?? []).map((p) => [p.label, `param:${p.name}`])),
  };
  const errorsFrom = (list: Array<{ column: string; message: string }>) => {
    const map: Record<string, string> = {};
    for (const e of list) {
      const f = columnToField[e.column] ?? 'form';
      const msg = e.column && e.message.startsWith(`${e.column}: `) ? e.message.slice(e.column.length + 2) : e.message;
      map[f] = map[f] ? `${map[f]}; ${msg}` : msg;
    }
    return map;
  };

  const submit = async () => {
    if (inFlight.current) return; // the second click of a double click
    setLast(undefined);
    setFormError(undefined);
    if (row.state !== 'valid' || !row.request) {
      setErrors(errorsFrom(row.state === 'empty' ? [{ column: '', message: 'Preencha a boleta.' }] : row.errors));
      return;
    }
    setErrors({});
    const key = `pane-${sessionId}-${counter.current}-${fingerprint(JSON.stringify(row.request))}`;
    setSending(true);
    inFlight.current = true;
    try {
      let status = 0;
      const order = await client.request<OrderView>('POST', '/api/orders', { ...row.request, idempotencyKey: key }, { timeoutMs: 20_000, onStatus: (x) => (status = x) });
      counter.current++;
      // 201 = created; 200 = the bridge already had this key (a double click): no new order.
      setLast({ order, duplicate: status === 200 });
      notify('success', `Boleta enviada: ${order.id}`);
    } catch (e) {
      const be = e as BridgeError;
      if (isBridgeError(be) && be.errors.length) {
        setErrors(errorsFrom(be.errors.map((x) => ({ column: columnForField(x.field, parsed.columns, refs.algos), message: x.message }))));
        setFormError(be.errors.filter((x) => !columnForField(x.field, parsed.columns, refs.algos)).map((x) => x.message).join('; ') || undefined);
      } else if (isBridgeError(be) && be.status === 0) {
        setFormError(`${be.message} Enviar esta boleta de novo é seguro: ela leva a mesma chave e o BlackBox não a duplica.`);
      } else setFormError(be.message);
    } finally {
      inFlight.current = false;
      setSending(false);
    }
  };

  const err = (f: string) => ({ validationMessage: errors[f], validationState: errors[f] ? ('error' as const) : ('none' as const) });
  const q = quote.status === 'live' ? quote.data : undefined;

  return (
    <div className={s.form} data-testid="ticket-form">
      <RadioGroup layout="horizontal" value={block ? 'block' : 'one'} onChange={(_, d) => setBlock(d.value === 'block')}>
        <Radio value="one" label="Um cliente" />
        <Radio value="block" label="Bloco (vários clientes)" />
      </RadioGroup>

      {!block ? (
        <Field label="Cliente" required {...err('client')}>
          <Combobox
            freeform
            placeholder="Código ou nome do cliente"
            value={who}
            onChange={(e) => setWho((e.target as HTMLInputElement).value)}
            onOptionSelect={(_, d) => setWho(d.optionValue ?? '')}
            data-testid="ticket-client"
          >
            {refs.clients.map((c) => (
              <Option key={c.id} value={c.id} text={c.id}>
                {`${c.id} — ${c.name}`}
              </Option>
            ))}
          </Combobox>
        </Field>
      ) : (
        <Field label="Rateio" required {...err('client')} hint="Quantidade por cliente, ou peso em %; fixado antes da execução.">
          <RadioGroup layout="horizontal" value={allocMode} onChange={(_, d) => setAllocMode(d.value as 'qty' | 'weight')}>
            <Radio value="qty" label="Por quantidade" />
            <Radio value="weight" label="Por peso (%)" />
          </RadioGroup>
          {allocs.map((a, i) => (
            <div className={s.alloc} key={i}>
              <Dropdown
                placeholder="Cliente"
                value={a.client}
                selectedOptions={a.client ? [a.client] : []}
                onOptionSelect={(_, d) => setAllocs((xs) => xs.map((x, j) => (j === i ? { ...x, client: d.optionValue ?? '' } : x)))}
              >
                {refs.clients.map((c) => (
                  <Option key={c.id} value={c.id} text={c.id}>
                    {`${c.id} — ${c.name}`}
                  </Option>
                ))}
              </Dropdown>
              <Input
                value={a.amount}
                placeholder={allocMode === 'qty' ? 'Qtd' : '%'}
                onChange={(_, d) => setAllocs((xs) => xs.map((x, j) => (j === i ? { ...x, amount: d.value } : x)))}
              />
              <Button icon={<Delete16Regular />} appearance="subtle" aria-label="Remover" onClick={() => setAllocs((xs) => xs.filter((_, j) => j !== i))} />
            </div>
          ))}
          <Button icon={<Add16Regular />} size="small" appearance="subtle" onClick={() => setAllocs((xs) => [...xs, { client: '', amount: '' }])}>
            Adicionar cliente
          </Button>
        </Field>
      )}

      <Field label="Ativo" required {...err('symbol')}>
        <Combobox
          freeform
          placeholder="PETR4"
          value={symbol}
          onChange={(e) => setSymbol((e.target as HTMLInputElement).value.toUpperCase())}
          onOptionSelect={(_, d) => setSymbol(d.optionValue ?? '')}
          data-testid="ticket-symbol"
        >
          {refs.instruments
            .filter((i) => !sym || i.symbol.startsWith(sym))
            .slice(0, 50)
            .map((i) => (
              <Option key={i.symbol} value={i.symbol} text={i.symbol}>
                {`${i.symbol} — ${i.name}`}
              </Option>
            ))}
        </Combobox>
      </Field>
      <Field label="Lado" required {...err('side')}>
        <div className={s.sides}>
          <ToggleButton checked={side === 'buy'} onClick={() => setSide('buy')} appearance={side === 'buy' ? 'primary' : 'outline'} data-testid="ticket-buy">
            Compra
          </ToggleButton>
          <ToggleButton
            checked={side === 'sell'}
            onClick={() => setSide('sell')}
            appearance={side === 'sell' ? 'primary' : 'outline'}
            style={side === 'sell' ? { backgroundColor: tokens.colorPaletteRedBackground3 } : undefined}
            data-testid="ticket-sell"
          >
            Venda
          </ToggleButton>
        </div>
      </Field>

      {inst && (
        <div className={s.quote} data-testid="ticket-quote">
          <span>
            <b>{sym}</b> {inst.name}
          </span>
          <span>Últ. {fmtPrice(q?.last)}</span>
          <span>{fmtChangePct(q?.changePct)}</span>
          <span>
            Compra {fmtPrice(q?.bid)} × {fmtQty(q?.bidQty)}
          </span>
          <span>
            Venda {fmtPrice(q?.ask)} × {fmtQty(q?.askQty)}
          </span>
          <span>Lote {fmtQty(inst.lotSize)}</span>
          {inst.expiry && <span data-testid="ticket-expiry">Vence {fmtDate(inst.expiry)}</span>}
        </div>
      )}

      <div className={s.row2}>
        <Field label="Quantidade" required {...err('qty')}>
           <Input className={s.full} value={qty} onChange={(_, d) => setQty(d.value)} inputMode="numeric" placeholder={inst ? fmtQty(inst.lotSize) : ''} data-testid="ticket-qty" />
        </Field>
        <Field label="Preço limite" {...err('limitPrice')} hint={algo?.requiresLimit ? 'Obrigatório para este tipo' : 'Vazio = a mercado'}>
           <Input className={s.full} value={limit} onChange={(_, d) => setLimit(d.value)} inputMode="decimal" placeholder={q?.last ? fmtPrice(q.last) : '0,00'} data-testid="ticket-limit" />
        </Field>
      </div>

      <Field label="Tipo" required {...err('algo')} hint={algo?.description}>
        <Dropdown
          value={algo?.label ?? ''}
          selectedOptions={algo ? [algo.type] : []}
          onOptionSelect={(_, d) => {
            setAlgoType((d.optionValue ?? 'full') as AlgoType);
            setParams({});
          }}
          data-testid="ticket-algo"
        >
          {refs.algos.map((a) => (
            <Option key={a.type} value={a.type} text={a.label}>
              {a.label}
            </Option>
          ))}
        </Dropdown>
      </Field>

      <AlgoParamsFields params={algo?.params ?? []} values={params} onChange={(n, v) => setParams((x) => ({ ...x, [n]: v }))} errorFor={(n) => errors[`param:${n}`]} />

      {row.state === 'valid' && row.request && (
        <div className={s.summary} data-testid="ticket-summary">
          <b>{sideLabel(row.request.side)}</b> {fmtQty(row.request.qty)} <b>{row.request.symbol}</b> · {algo?.label} ·{' '}
          {row.request.limitPrice ? `limite ${fmtPrice(row.request.limitPrice)}` : 'a mercado'} ·{' '}
          {row.request.client ? `cliente ${row.request.client}` : `bloco de ${row.request.allocations?.length} clientes`}
        </div>
      )}

      {(formError || errors.form) && (
        <MessageBar intent="error">
          <MessageBarBody>{formError ?? errors.form}</MessageBarBody>
        </MessageBar>
      )}
      {last && (
        <MessageBar intent={last.duplicate ? 'warning' : 'success'} data-testid="ticket-result">
          <MessageBarBody>
            {last.duplicate ? 'Esta boleta já tinha sido enviada (mesma chave): nenhuma ordem nova. ' : 'Boleta enviada. '}
            Ordem <b>{last.order.id}</b>.
          </MessageBarBody>
        </MessageBar>
      )}

      <div>
        <Button appearance="primary" icon={sending ? <Spinner size="tiny" /> : <Send20Regular />} disabled={sending || !canTrade} onClick={submit} data-testid="ticket-submit">
          Enviar boleta
        </Button>
        {!canTrade && <span className={s.help}> Seu token só permite consulta.</span>}
      </div>
    </div>
  );
}

/**
 * What settles for one client on one D+n date, trade by trade (GET /api/settlements): the trade,
 * symbol, side and quantity, the cash it moves and its estimated B3 fees. A list of two-line
 * entries rather than a wide table, so it reads at task-pane width (320-450 px).
 */
import {
  Badge,
  Button,
  DrawerBody,
  DrawerHeader,
  DrawerHeaderTitle,
  MessageBar,
  MessageBarBody,
  OverlayDrawer,
  Spinner,
  makeStyles,
  mergeClasses,
  tokens,
} from '@fluentui/react-components';
import { Dismiss24Regular } from '@fluentui/react-icons';
import { Fragment } from 'react';
import type { SettlementDayView } from '../../../../common/types.js';
import { fmtDate, fmtMoney, fmtNumber, fmtPrice, fmtQty, sideLabel } from '../../core/format.js';
import { usePane } from '../context.js';
import { useAsync } from '../hooks.js';
import { Signed, useTabStyles } from './common.js';

const useStyles = makeStyles({
  drawer: { width: 'min(520px, 100vw)' },
  totals: {
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 1fr) auto',
    columnGap: '12px',
    rowGap: '2px',
    margin: '0 0 10px',
    padding: '6px 10px',
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground2,
    fontVariantNumeric: 'tabular-nums',
  },
  net: { fontWeight: tokens.fontWeightSemibold, fontSize: tokens.fontSizeBase400 },
  id: { gridColumn: '1 / -1' },
  list: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: '6px' },
  entry: {
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: '6px 8px',
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 1fr) auto',
    columnGap: '8px',
    rowGap: '2px',
    fontVariantNumeric: 'tabular-nums',
  },
  what: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' },
  right: { textAlign: 'right', whiteSpace: 'nowrap' },
  small: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground3, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' },
});

export interface SettlementDetailProps {
  client: string;
  clientName?: string;
  /** Settlement date, yyyy-mm-dd. */
  date: string;
  /** Which D+n the date is, for the title. */
  offset: number;
  /** Changes whenever balances change: the list reloads with them. */
  version: number;
  onClose: () => void;
}

export function SettlementDetail(props: SettlementDetailProps): JSX.Element {
  const s = useStyles();
  const t = useTabStyles();
  const { client } = usePane();
  const day = useAsync(
    () => client.request<SettlementDayView>('GET', `/api/settlements?client=${encodeURIComponent(props.client)}&date=${props.date}`),
    [client, props.client, props.date, props.version],
  );
  const v = day.data;
  return (
    <OverlayDrawer open position="end" className={s.drawer} onOpenChange={(_, d) => !d.open && props.onClose()} data-testid="settlement-detail">
      <DrawerHeader>
        <DrawerHeaderTitle action={<Button appearance="subtle" aria-label="Fechar" icon={<Dismiss24Regular />} onClick={props.onClose} />}>
          {props.client} · D+{props.offset} · {fmtDate(props.date)}
        </DrawerHeaderTitle>
        {props.clientName ? <div className={t.muted}>{props.clientName}</div> : null}
      </DrawerHeader>
      <DrawerBody>
        {day.error ? (
          <MessageBar intent="error">
            <MessageBarBody>Não foi possível carregar o que liquida neste dia: {day.error.message}</MessageBarBody>
          </MessageBar>
        ) : null}
        {!v && day.loading ? <Spinner size="small" label="Carregando liquidações…" /> : null}
        {v ? (
          <>
            <dl className={s.totals} data-testid="settlement-totals">
              {(
                [
                  ['Valor das operações', v.totals.amount],
                  ['Taxas B3', -v.totals.fees],
                  ['Líquido no dia', v.totals.net],
                ] as const
              ).map(([label, value], i) => (
                <Fragment key={label}>
                  <dt className={i === 2 ? s.net : t.muted}>{label}</dt>
                  <dd className={mergeClasses(s.right, i === 2 && s.net)} style={{ margin: 0 }}>
                    <Signed value={value < 0 ? value : 0} text={fmtMoney(value)} />
                  </dd>
                </Fragment>
              ))}
            </dl>
            {v.rows.length === 0 ? (
              <div className={t.muted} data-testid="settlement-empty">
                Nada liquida para {props.client} em {fmtDate(props.date)}: o saldo deste dia é o do dia anterior.
              </div>
            ) : (
              <ul className={s.list} aria-label={`Liquidações de ${props.client} em ${fmtDate(props.date)}`} data-testid="settlement-rows">
                {v.rows.map((r) => (
                  <li className={s.entry} key={r.tradeId} data-testid="settlement-row" data-trade={r.tradeId}>
                    <span className={s.what}>
                      <b>{r.symbol}</b> · <span className={r.side === 'buy' ? t.buy : t.sell}>{sideLabel(r.side)}</span> {fmtQty(r.qty)} × {fmtPrice(r.price)}
                    </span>
                    <span className={s.right}>
                      <Signed value={r.amount < 0 ? r.amount : 0} text={fmtNumber(r.amount, 2)} />
                    </span>
                    <span className={s.small}>
                      {fmtDate(r.tradeDate)}
                      {r.dayTradeQty ? (
                        <>
                          {' · '}
                          <Badge size="small" appearance="tint" color="informative">
                            day trade {fmtQty(r.dayTradeQty)}
                          </Badge>
                        </>
                      ) : null}
                    </span>
                    <span className={mergeClasses(s.small, s.right)} title="Estimativa: parte desta operação na tarifa B3 do dia (cobrada por cliente, dia e segmento)">
                      taxas {fmtNumber(-r.fees, 2)}
                    </span>
                    <span className={mergeClasses(s.small, s.id)} title={r.tradeId}>
                      negócio {r.tradeId}
                    </span>
                  </li>
                ))}
              </ul>
            )}
            <p className={t.muted}>
              Taxas B3 são cobradas por cliente, dia e segmento; o valor de cada operação é uma estimativa, e a soma é o total cobrado.
            </p>
          </>
        ) : null}
      </DrawerBody>
    </OverlayDrawer>
  );
}

/** The task pane: header with connection + PÂNICO, kill-switch banner, and the tabs. */
import {
  Button,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  Tab,
  TabList,
  Toast,
  Toaster,
  ToastTitle,
  tokens,
  useId,
  useToastController,
} from '@fluentui/react-components';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { BridgeClient } from '../core/bridge-client.js';
import type { WorkbookPort } from '../sheets/workbook-port.js';
import { BacktestsTab } from './components/BacktestsTab.js';
import { BalancesTab } from './components/BalancesTab.js';
import { BoletasTab } from './components/BoletasTab.js';
import { ImportProfitTab } from './components/ImportProfitTab.js';
import { MarketDataTab } from './components/MarketDataTab.js';
import { OrdersTab } from './components/OrdersTab.js';
import { PositionsTab } from './components/PositionsTab.js';
import { StrategiesTab } from './components/StrategiesTab.js';
import { BrokerWarningsBanner } from './components/BrokerWarningsBanner.js';
import { ReconnectBanner } from './components/ReconnectBanner.js';
import { Header, KillSwitchBanner, PanicDialog, ReleaseDialog, SettingsDialog, useKillSwitch } from './components/Shell.js';
import { PaneCtx, type PaneContext } from './context.js';
import { useConnection } from './hooks.js';

export const PANIC_REQUEST_EVENT = 'blackbox:panic-request';

const useStyles = makeStyles({
  root: {
    display: 'flex',
    flexDirection: 'column',
    height: '100vh',
    backgroundColor: tokens.colorNeutralBackground2,
    color: tokens.colorNeutralForeground1,
    fontFamily: tokens.fontFamilyBase,
  },
  // Tabs wrap to more lines rather than widen the pane; in a task pane they are tighter, so the
  // eight take two lines at 420 px (three at 320) and leave the tab its height.
  tabs: {
    backgroundColor: tokens.colorNeutralBackground1,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
    padding: '0 4px',
    flexWrap: 'wrap',
    '@media (max-width: 599px)': { '& .fui-Tab': { paddingLeft: '6px', paddingRight: '6px', paddingTop: '8px', paddingBottom: '8px' } },
  },
  main: { flex: '1 1 auto', minHeight: 0, position: 'relative', backgroundColor: tokens.colorNeutralBackground1 },
  pane: { position: 'absolute', inset: 0, display: 'flex', flexDirection: 'column' },
});

/** The eight tabs of PRODUCT.md §1. */
const TABS = [
  { id: 'positions', label: 'Posições', render: () => <PositionsTab /> },
  { id: 'orders', label: 'Ordens', render: () => <OrdersTab /> },
  { id: 'boletas', label: 'Boletas', render: () => <BoletasTab /> },
  { id: 'balances', label: 'Saldo', render: () => <BalancesTab /> },
  { id: 'marketdata', label: 'Base de dados', render: () => <MarketDataTab /> },
  { id: 'import', label: 'Import Profit', render: () => <ImportProfitTab /> },
  { id: 'strategies', label: 'Estratégias', render: () => <StrategiesTab /> },
  { id: 'backtests', label: 'Backtests', render: () => <BacktestsTab /> },
] as const;

type TabId = (typeof TABS)[number]['id'];

export function App({ client, workbook }: { client: BridgeClient; workbook?: WorkbookPort }): JSX.Element {
  const s = useStyles();
  const info = useConnection(client);
  const ks = useKillSwitch(client);
  const [tab, setTab] = useState<TabId>('positions');
  const [visited, setVisited] = useState<Set<TabId>>(() => new Set<TabId>(['positions']));
  const [settingsOpen, setSettingsOpen] = useState(() => client.connection.state === 'no-token');
  const [panicOpen, setPanicOpen] = useState(false);
  const [releaseOpen, setReleaseOpen] = useState(false);
  const toasterId = useId('toaster');
  const { dispatchToast } = useToastController(toasterId);

  const notify = useCallback<PaneContext['notify']>(
    (intent, text) => {
      dispatchToast(
        <Toast>
          <ToastTitle>{text}</ToastTitle>
        </Toast>,
        { intent, timeout: intent === 'error' ? 8000 : 4000 },
      );
    },
    [dispatchToast],
  );

  const requestPanic = useCallback(() => setPanicOpen(true), []);
  const selectTab = useCallback((id: TabId) => {
    setTab(id);
    setVisited((v) => (v.has(id) ? v : new Set(v).add(id)));
  }, []);

  // The ribbon's PÂNICO (commands.ts) asks the pane to confirm.
  useEffect(() => {
    const g = globalThis as { __blackboxPanicRequested?: boolean };
    if (g.__blackboxPanicRequested) {
      g.__blackboxPanicRequested = false;
      setPanicOpen(true);
    }
    const onReq = () => {
      g.__blackboxPanicRequested = false;
      setPanicOpen(true);
    };
    window.addEventListener(PANIC_REQUEST_EVENT, onReq);
    return () => window.removeEventListener(PANIC_REQUEST_EVENT, onReq);
  }, []);

  const goTo = useCallback((id: string) => TABS.some((t) => t.id === id) && selectTab(id as TabId), [selectTab]);
  const ctx: PaneContext = useMemo(
    () => ({ client, workbook, requestPanic, canTrade: info.role !== 'viewer', notify, goTo }),
    [client, workbook, requestPanic, info.role, notify, goTo],
  );

  return (
    <PaneCtx.Provider value={ctx}>
      <div className={s.root}>
        <Header info={info} client={client} onSettings={() => setSettingsOpen(true)} onPanic={requestPanic} engaged={!!ks?.engaged} />
        {ks?.engaged && <KillSwitchBanner ks={ks} onRelease={() => setReleaseOpen(true)} />}
        <ReconnectBanner client={client} onShowOrders={() => selectTab('orders')} />
        <BrokerWarningsBanner client={client} />
        {info.state === 'no-token' && (
          <MessageBar intent="info">
            <MessageBarBody>Cole o token do BlackBox para começar (uma vez só; fica guardado neste computador).</MessageBarBody>
            <MessageBarActions>
              <Button size="small" onClick={() => setSettingsOpen(true)}>
                Configurar
              </Button>
            </MessageBarActions>
          </MessageBar>
        )}
        {info.state === 'reconnecting' && info.message && (
          <MessageBar intent="warning" data-testid="connection-problem">
            <MessageBarBody>{info.message}</MessageBarBody>
            <MessageBarActions>
              <Button size="small" onClick={() => client.reconnectNow()}>
                Reconectar
              </Button>
            </MessageBarActions>
          </MessageBar>
        )}
        {info.state === 'unauthorized' && (
          <MessageBar intent="error" data-testid="connection-problem">
            <MessageBarBody>{info.message ?? 'O BlackBox recusou o token.'}</MessageBarBody>
            <MessageBarActions>
              <Button size="small" onClick={() => setSettingsOpen(true)}>
                Configurar
              </Button>
            </MessageBarActions>
          </MessageBar>
        )}
        <TabList
          className={s.tabs}
          selectedValue={tab}
          onTabSelect={(_, d) => selectTab(d.value as TabId)}
          size="medium"
        >
          {TABS.map((t) => (
            <Tab key={t.id} value={t.id} data-testid={`tab-${t.id}-button`}>
              {t.label}
            </Tab>
          ))}
        </TabList>
        <main className={s.main}>
          {TABS.filter((t) => visited.has(t.id)).map((t) => (
            <div key={t.id} className={s.pane} style={{ display: t.id === tab ? 'flex' : 'none' }} role="tabpanel" aria-label={t.label}>
              {t.render()}
            </div>
          ))}
        </main>
      </div>
      <Toaster toasterId={toasterId} position="bottom-start" offset={{ vertical: 56 }} />
      <SettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} client={client} />
      <PanicDialog open={panicOpen} onClose={() => setPanicOpen(false)} client={client} />
      <ReleaseDialog open={releaseOpen} onClose={() => setReleaseOpen(false)} client={client} />
    </PaneCtx.Provider>
  );
}

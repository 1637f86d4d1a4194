/**
 * Header (connection indicator, settings, PÂNICO always visible), the kill-switch banner, and the
 * dialogs: settings, PÂNICO confirmation, release confirmation.
 */
import {
  Badge,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  tokens,
  Tooltip,
} from '@fluentui/react-components';
import { ArrowClockwise20Regular, Eye20Regular, EyeOff20Regular, Settings20Regular, ShieldError20Filled } from '@fluentui/react-icons';
import { useEffect, useRef, useState } from 'react';
import type { HealthView, KillSwitchView } from '../../../../common/types.js';
import type { BridgeClient, ConnectionInfo } from '../../core/bridge-client.js';
import { fmtDateTime } from '../../core/format.js';
import { portugueseOf } from '../../core/broker-diagnostics.js';
import { ROLE_LABELS, unreachableMessage } from '../../core/errors.js';
import { normalizeBridgeUrl } from '../../core/settings.js';
import { useChannel, useTicker } from '../hooks.js';

const useStyles = makeStyles({
  header: {
    display: 'flex',
    alignItems: 'center',
    gap: '8px',
    padding: '6px 10px',
    backgroundColor: '#14171c',
    color: '#f3f3f3',
    flexWrap: 'wrap',
  },
  brand: { fontWeight: tokens.fontWeightBold, fontSize: tokens.fontSizeBase400, letterSpacing: '0.02em', display: 'flex', alignItems: 'center', gap: '6px' },
  logo: { width: '18px', height: '18px', borderRadius: '3px', backgroundColor: '#f3f3f3', color: '#14171c', display: 'inline-flex', alignItems: 'center', justifyContent: 'center', fontSize: '11px', fontWeight: 800 },
  grow: { flex: '1 1 auto' },
  iconBtn: { color: '#f3f3f3', minWidth: 'auto' },
  panic: {
    backgroundColor: '#c50f1f',
    color: 'white',
    fontWeight: tokens.fontWeightBold,
    letterSpacing: '0.06em',
    border: '1px solid #ff9aa2',
    ':hover': { backgroundColor: '#a80d1a', color: 'white' },
    ':hover:active': { backgroundColor: '#8a0b16', color: 'white' },
  },
  banner: { borderRadius: 0 },
  confirmPanic: {
    backgroundColor: '#c50f1f',
    color: 'white',
    ':hover': { backgroundColor: '#a80d1a', color: 'white' },
    ':disabled': { backgroundColor: tokens.colorNeutralBackgroundDisabled, color: tokens.colorNeutralForegroundDisabled },
  },
  col: { display: 'flex', flexDirection: 'column', gap: '10px' },
});

const TRADING_STATE_LABELS: Record<HealthView['tradingState'], string> = {
  ACTIVE: 'normal',
  REDUCING: 'só redução de posição',
  HALTED: 'parado',
};

export function ConnectionBadge({ info, client }: { info: ConnectionInfo; client: BridgeClient }): JSX.Element {
  useTicker(1000);
  const health = useChannel<HealthView>(client, 'health', 1000);
  const h = health.status === 'live' ? health.data : undefined;
  let color: 'success' | 'warning' | 'danger' | 'informative' = 'informative';
  let text = '';
  switch (info.state) {
    case 'open':
      color = h && !h.broker.connected ? 'warning' : 'success';
      text = h && !h.broker.connected ? 'Conectado · corretora off' : 'Conectado';
      break;
    case 'connecting':
      color = 'warning';
      text = 'Conectando…';
      break;
    case 'reconnecting': {
      color = 'danger';
      const secs = info.nextRetryAt ? Math.max(0, Math.ceil((info.nextRetryAt - Date.now()) / 1000)) : 0;
      text = secs > 0 ? `Desconectado · ${secs} s` : 'Reconectando…';
      break;
    }
    case 'unauthorized':
      color = 'danger';
      text = 'Token recusado';
      break;
    case 'no-token':
      color = 'informative';
      text = 'Sem token';
      break;
  }
  const tip = [
    `BlackBox em ${info.url}`,
    info.role ? `Perfil: ${ROLE_LABELS[info.role] ?? info.role}` : '',
    h ? `Corretora ${h.broker.name}: ${h.broker.connected ? 'conectada' : 'desconectada'}${h.broker.message ? ` (${portugueseOf(h.broker.message)})` : ''}` : '',
    h ? `Estado de negociação: ${TRADING_STATE_LABELS[h.tradingState] ?? h.tradingState}` : '',
    info.state !== 'open' && info.message ? info.message : '',
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <Tooltip content={<span style={{ whiteSpace: 'pre-line' }}>{tip}</span>} relationship="description">
      <Badge color={color} appearance="filled" data-testid="connection" data-state={info.state} style={{ cursor: 'default' }}>
        {text}
      </Badge>
    </Tooltip>
  );
}

export function Header(props: { info: ConnectionInfo; client: BridgeClient; onSettings: () => void; onPanic: () => void; engaged: boolean }): JSX.Element {
  const s = useStyles();
  return (
    <header className={s.header}>
      <span className={s.brand}>
        <span className={s.logo}>BB</span>
        BlackBox
      </span>
      <ConnectionBadge info={props.info} client={props.client} />
      {props.info.state !== 'open' && props.info.state !== 'no-token' && (
        <Button size="small" appearance="transparent" className={s.iconBtn} icon={<ArrowClockwise20Regular />} onClick={() => props.client.reconnectNow()} aria-label="Reconectar" title="Reconectar agora" />
      )}
      <span className={s.grow} />
      <Button size="small" appearance="transparent" className={s.iconBtn} icon={<Settings20Regular />} onClick={props.onSettings} aria-label="Configurações" title="Configurações" data-testid="open-settings" />
      <Button size="small" className={s.panic} icon={<ShieldError20Filled />} onClick={props.onPanic} data-testid="panic-button" title="Parar tudo: algos, ordens filhas e novas ordens">
        {props.engaged ? 'PÂNICO ATIVO' : 'PÂNICO'}
      </Button>
    </header>
  );
}

export function KillSwitchBanner({ ks, onRelease }: { ks: KillSwitchView; onRelease: () => void }): JSX.Element {
  const s = useStyles();
  return (
    <MessageBar intent="error" layout="multiline" className={s.banner} data-testid="killswitch-banner">
      <MessageBarBody>
        <MessageBarTitle>PÂNICO ACIONADO: tudo parado</MessageBarTitle>
        Algos parados, ordens filhas canceladas e novas ordens recusadas até a liberação.
        {ks.reason ? ` Motivo: ${ks.reason}.` : ''}
        {ks.by ? (
          <>
            {' '}Por <b data-testid="killswitch-by">{ks.by}</b>
          </>
        ) : (
          ''
        )}
        {ks.at ? ` em ${fmtDateTime(ks.at)}.` : ''}
      </MessageBarBody>
      <MessageBarActions>
        <Button size="small" onClick={onRelease} data-testid="release-button">
          Liberar…
        </Button>
      </MessageBarActions>
    </MessageBar>
  );
}

/** Delay before the confirm button arms: a double click on PÂNICO cannot land on it. */
export const PANIC_ARM_MS = 700;

export function PanicDialog({ open, onClose, client }: { open: boolean; onClose: () => void; client: BridgeClient }): JSX.Element {
  const s = useStyles();
  const [armed, setArmed] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    setArmed(false);
    setError(undefined);
    setReason('');
    const t = setTimeout(() => setArmed(true), PANIC_ARM_MS);
    return () => clearTimeout(t);
  }, [open]);

  const engage = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await client.request('POST', '/api/kill-switch', { engaged: true, reason: reason.trim() || 'PÂNICO acionado no Excel' }, { timeoutMs: 10_000 });
      onClose();
    } catch (e) {
      setError(`O PÂNICO não foi confirmado pelo BlackBox: ${(e as Error).message} Use também "npx blackbox panic" no terminal.`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} modalType="alert" onOpenChange={(_, d) => !d.open && !busy && onClose()}>
      <DialogSurface style={{ maxWidth: 420 }} data-testid="panic-dialog">
        <DialogBody>
          <DialogTitle>Acionar PÂNICO?</DialogTitle>
          <DialogContent className={s.col}>
            <span>
              Todos os algos param, <b>todas as ordens filhas na bolsa são canceladas</b> e novas ordens são recusadas, para todos os clientes, até alguém liberar.
            </span>
            <Field label="Motivo (opcional)">
              <Input value={reason} onChange={(_, d) => setReason(d.value)} placeholder="PÂNICO acionado no Excel" data-testid="panic-reason" />
            </Field>
            {error && (
              <MessageBar intent="error">
                <MessageBarBody>{error}</MessageBarBody>
              </MessageBar>
            )}
          </DialogContent>
          <DialogActions>
            <Button ref={cancelRef} onClick={onClose} disabled={busy} autoFocus data-testid="panic-cancel">
              Voltar
            </Button>
            <Button className={s.confirmPanic} disabled={!armed || busy} onClick={engage} data-testid="panic-confirm" icon={busy ? <Spinner size="tiny" /> : <ShieldError20Filled />}>
              Parar tudo agora
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

export function ReleaseDialog({ open, onClose, client }: { open: boolean; onClose: () => void; client: BridgeClient }): JSX.Element {
  const [reason, setReason] = useState('');
  const [checked, setChecked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (open) {
      setReason('');
      setChecked(false);
      setError(undefined);
    }
  }, [open]);
  const release = async () => {
    setBusy(true);
    try {
      await client.request('POST', '/api/kill-switch', { engaged: false, reason: reason.trim() });
      onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} onOpenChange={(_, d) => !d.open && !busy && onClose()}>
      <DialogSurface style={{ maxWidth: 420 }} data-testid="release-dialog">
        <DialogBody>
          <DialogTitle>Liberar o PÂNICO?</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
            <span>Novas ordens voltam a ser aceitas. Algos pausados continuam pausados até alguém retomá-los em Ordens (um a um ou todos).</span>
            <Field label="Motivo da liberação" required>
              <Input value={reason} onChange={(_, d) => setReason(d.value)} data-testid="release-reason" />
            </Field>
            <Checkbox checked={checked} onChange={(_, d) => setChecked(!!d.checked)} label="Conferi posições e ordens e quero liberar" data-testid="release-check" />
            {error && (
              <MessageBar intent="error">
                <MessageBarBody>{error}</MessageBarBody>
              </MessageBar>
            )}
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose} disabled={busy}>
              Voltar
            </Button>
            <Button appearance="primary" disabled={busy || !checked || reason.trim().length < 3} onClick={release} data-testid="release-confirm">
              Liberar
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

export function SettingsDialog({ open, onClose, client }: { open: boolean; onClose: () => void; client: BridgeClient }): JSX.Element {
  const [url, setUrl] = useState(client.config.url);
  const [token, setToken] = useState(client.config.token);
  const [show, setShow] = useState(false);
  const [test, setTest] = useState<{ intent: 'success' | 'error'; text: string } | undefined>();
  const [urlError, setUrlError] = useState<string | undefined>();
  useEffect(() => {
    if (open) {
      setUrl(client.config.url);
      setToken(client.config.token);
      setTest(undefined);
      setUrlError(undefined);
    }
  }, [open, client]);

  const normalized = (): string | undefined => {
    try {
      const u = normalizeBridgeUrl(url);
      setUrlError(undefined);
      return u;
    } catch (e) {
      setUrlError((e as Error).message);
      return undefined;
    }
  };

  const save = () => {
    const u = normalized();
    if (!u) return;
    client.configure({ url: u, token: token.trim() });
    onClose();
  };

  const check = async () => {
    const u = normalized();
    if (!u) return;
    setTest(undefined);
    let h: HealthView;
    try {
      const res = await fetch(new URL('/api/health', u), { headers: { Accept: 'application/json' } });
      h = (await res.json()) as HealthView;
    } catch {
      setTest({ intent: 'error', text: unreachableMessage(u) });
      return;
    }
    try {
      const auth = await fetch(new URL('/api/kill-switch', u), { headers: { Authorization: `Bearer ${token.trim()}` } });
      setTest(
        auth.ok
          ? { intent: 'success', text: `BlackBox ${h.version} respondeu; token aceito. Corretora ${h.broker.name}: ${h.broker.connected ? 'conectada' : 'desconectada'}.` }
          : { intent: 'error', text: `O BlackBox ${h.version} respondeu, mas ${token.trim() ? 'recusou este token' : 'falta o token'}. Cole o token do arquivo "token" da pasta de dados do BlackBox, ou peça um ao administrador.` },
      );
    } catch {
      setTest({ intent: 'error', text: unreachableMessage(u) });
    }
  };

  return (
    <Dialog open={open} onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface style={{ maxWidth: 460 }} data-testid="settings-dialog">
        <DialogBody>
          <DialogTitle>Configurações</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
            <Field label="Endereço do BlackBox" hint="Normalmente o próprio endereço de onde o painel foi aberto." validationMessage={urlError} validationState={urlError ? 'error' : 'none'}>
              <Input value={url} onChange={(_, d) => setUrl(d.value)} data-testid="settings-url" />
            </Field>
            <Field label="Token" hint="O token está no arquivo <dados>/token da máquina do BlackBox.">
              <Input
                type={show ? 'text' : 'password'}
                value={token}
                onChange={(_, d) => setToken(d.value)}
                data-testid="settings-token"
                contentAfter={<Button appearance="transparent" size="small" icon={show ? <EyeOff20Regular /> : <Eye20Regular />} onClick={() => setShow(!show)} aria-label={show ? 'Ocultar token' : 'Mostrar token'} />}
              />
            </Field>
            {test && (
              <MessageBar intent={test.intent}>
                <MessageBarBody>{test.text}</MessageBarBody>
              </MessageBar>
            )}
          </DialogContent>
          <DialogActions>
            <Button onClick={check}>Testar</Button>
            <Button onClick={onClose}>Fechar</Button>
            <Button appearance="primary" onClick={save} data-testid="settings-save">
              Salvar e conectar
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

export function useKillSwitch(client: BridgeClient): KillSwitchView | undefined {
  const v = useChannel<KillSwitchView>(client, 'killswitch', 100);
  return v.data;
}

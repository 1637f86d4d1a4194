/**
 * The four connection states ProfitDLL reports through TStateCallback (reference/profitdll.md §4),
 * folded into the broker port's single connected flag and a bilingual message.
 *
 * Connected means: login accepted, activation key valid, routing at ROTEAMENTO_BROKER_CONNECTED (5) —
 * not merely at the routing server (2), where orders may not reach the broker yet — and market data at
 * MARKET_CONNECTED (4) or its warning variants (5, 6), because the algos cannot work without prices.
 * The vendor's C# and Delphi examples count routing 2 as connected too; a setup that never reports 5 would
 * wait forever, so `acceptRoutingConnected` (BLACKBOX_PROFIT_ROUTING_READY=2) makes 2 ready as well, and
 * without it the message says exactly that the bridge is waiting at 2.
 */
import { ActivationResult, ConnStateType, LoginResult, MarketResult, RoutingResult } from './abi.js';
import { type Bilingual, bilingual } from './errors.js';

export type NoteLevel = 'info' | 'warn' | 'error';

export interface StateNote {
  level: NoteLevel;
  message: Bilingual;
}

interface Describe {
  message: Bilingual;
  level: NoteLevel;
  /** A failure that no retry inside this session will fix (bad password, refused key). */
  terminal?: boolean;
}

const LOGIN: Record<number, Describe> = {
  [LoginResult.LOGIN_CONNECTED]: { message: bilingual('Login aceito', 'Login accepted'), level: 'info' },
  [LoginResult.LOGIN_INVALID]: {
    message: bilingual('Login inválido: usuário não reconhecido', 'Invalid login: user not recognised'),
    level: 'error',
    terminal: true,
  },
  [LoginResult.LOGIN_INVALID_PASS]: {
    message: bilingual('Login recusado: senha inválida', 'Login refused: invalid password'),
    level: 'error',
    terminal: true,
  },
  [LoginResult.LOGIN_BLOCKED_PASS]: {
    message: bilingual('Login recusado: senha bloqueada', 'Login refused: password blocked'),
    level: 'error',
    terminal: true,
  },
  [LoginResult.LOGIN_EXPIRED_PASS]: {
    message: bilingual('Login recusado: senha expirada', 'Login refused: password expired'),
    level: 'error',
    terminal: true,
  },
  [LoginResult.LOGIN_UNKNOWN_ERR]: {
    message: bilingual('Login recusado: erro desconhecido no servidor', 'Login refused: unknown server error'),
    level: 'error',
    terminal: true,
  },
};

const ROUTING: Record<number, Describe> = {
  [RoutingResult.ROTEAMENTO_DISCONNECTED]: {
    message: bilingual('Roteamento desconectado', 'Routing disconnected'),
    level: 'warn',
  },
  [RoutingResult.ROTEAMENTO_CONNECTING]: {
    message: bilingual('Conectando ao servidor de roteamento', 'Connecting to the routing server'),
    level: 'info',
  },
  [RoutingResult.ROTEAMENTO_CONNECTED]: {
    message: bilingual('conectado ao roteamento, aguardando corretora', 'connected to routing, waiting for the broker'),
    level: 'info',
  },
  [RoutingResult.ROTEAMENTO_BROKER_DISCONNECTED]: {
    message: bilingual('Corretora desconectada: ordens não podem ser enviadas', 'Broker disconnected: orders cannot be sent'),
    level: 'warn',
  },
  [RoutingResult.ROTEAMENTO_BROKER_CONNECTING]: {
    message: bilingual('Conectando à corretora', 'Connecting to the broker'),
    level: 'info',
  },
  [RoutingResult.ROTEAMENTO_BROKER_CONNECTED]: {
    message: bilingual('Corretora conectada', 'Broker connected'),
    level: 'info',
  },
};

const MARKET: Record<number, Describe> = {
  [MarketResult.MARKET_DISCONNECTED]: {
    message: bilingual('Market data desconectado', 'Market data disconnected'),
    level: 'warn',
  },
  [MarketResult.MARKET_CONNECTING]: {
    message: bilingual('Conectando ao market data', 'Connecting to market data'),
    level: 'info',
  },
  [MarketResult.MARKET_WAITING]: {
    message: bilingual('Market data conectado, aguardando o servidor', 'Market data connected, waiting for the server'),
    level: 'info',
  },
  [MarketResult.MARKET_NOT_LOGGED]: {
    message: bilingual('Market data conectado sem login', 'Market data connected but not logged in'),
    level: 'warn',
  },
  [MarketResult.MARKET_CONNECTED]: { message: bilingual('Market data conectado', 'Market data connected'), level: 'info' },
  [MarketResult.MARKET_PERFORMANCE_WARNING]: {
    message: bilingual(
      'Market data conectado com alerta de desempenho',
      'Market data connected with a performance warning',
    ),
    level: 'warn',
  },
  [MarketResult.MARKET_PARTIAL_CONNECTED]: {
    message: bilingual(
      'Market data parcial: o cliente não está consumindo os callbacks a tempo, dados podem atrasar ou se perder',
      'Market data partial: the client is not consuming callbacks in time, data may be delayed or lost',
    ),
    level: 'error',
  },
};

const ACTIVATION: Record<number, Describe> = {
  [ActivationResult.CONNECTION_ACTIVATE_VALID]: {
    message: bilingual('Chave de ativação válida', 'Activation key valid'),
    level: 'info',
  },
  [ActivationResult.CONNECTION_ACTIVATE_INVALID]: {
    message: bilingual(
      'Chave de ativação recusada: verifique a licença da ProfitDLL',
      'Activation key refused: check the ProfitDLL licence',
    ),
    level: 'error',
    terminal: true,
  },
};

const TABLES: Record<number, Record<number, Describe>> = {
  [ConnStateType.LOGIN]: LOGIN,
  [ConnStateType.ROUTING]: ROUTING,
  [ConnStateType.MARKET_DATA]: MARKET,
  [ConnStateType.ACTIVATION]: ACTIVATION,
};

const MARKET_UP: ReadonlySet<number> = new Set([
  MarketResult.MARKET_CONNECTED,
  MarketResult.MARKET_PERFORMANCE_WARNING,
  MarketResult.MARKET_PARTIAL_CONNECTED,
]);

/** The meaning of one (type, result) pair, pt-BR and English; unknown pairs say so. */
export function describeState(type: number, result: number): Bilingual {
  return (
    TABLES[type]?.[result]?.message ??
    bilingual(`Código de estado desconhecido (tipo ${type}, resultado ${result})`, `Unknown state code (type ${type}, result ${result})`)
  );
}

export interface DerivedConnection {
  connected: boolean;
  message: Bilingual;
  /** The session cannot recover by itself (bad credentials, refused activation). */
  terminal: boolean;
}

const MAX_NOTES = 64;

/**
 * Tracks the latest result of each state type. `apply` only copies numbers and queues a note, so it is
 * cheap enough to run inside the DLL's callback; the event loop reads `derive()` and `takeNotes()` later.
 */
export interface TrackerOptions {
  /** Routing at ROTEAMENTO_CONNECTED (2) counts as ready, as in the vendor's C# and Delphi examples. */
  acceptRoutingConnected?: boolean;
}

export class ConnectionTracker {
  private readonly routingReady: ReadonlySet<number>;

  constructor(private readonly options: TrackerOptions = {}) {
    this.routingReady = new Set(
      options.acceptRoutingConnected
        ? [RoutingResult.ROTEAMENTO_BROKER_CONNECTED, RoutingResult.ROTEAMENTO_CONNECTED]
        : [RoutingResult.ROTEAMENTO_BROKER_CONNECTED],
    );
  }

  private readonly latest = new Map<number, number>();
  private anomaly: Describe | undefined;
  private notes: StateNote[] = [];
  /** Counts every loss of the connected condition, so a drop and recovery between two reads is not missed. */
  private drops = 0;
  private wasConnected = false;
  /** Counts every time routing leaves ROTEAMENTO_BROKER_CONNECTED: the DLL then reloads the order history. */
  private routingDrops = 0;

  apply(type: number, result: number): void {
    const table = TABLES[type];
    const known = table?.[result];
    const routingWasUp = this.routingReady.has(this.latest.get(ConnStateType.ROUTING) ?? -1);
    if (!known) {
      const message = bilingual(
        `Código de estado desconhecido da ProfitDLL (tipo ${type}, resultado ${result}); tratando como desconectado`,
        `Unknown ProfitDLL state code (type ${type}, result ${result}); treating as disconnected`,
      );
      this.anomaly = { message, level: 'error' };
      // An unknown result for a known type leaves that component in an unknown state until it reports again.
      if (table) this.latest.delete(type);
      this.push({ level: 'error', message });
    } else {
      this.anomaly = undefined;
      this.latest.set(type, result);
      this.push({ level: known.level, message: known.message });
    }
    if (routingWasUp && !this.routingReady.has(this.latest.get(ConnStateType.ROUTING) ?? -1)) {
      this.routingDrops++;
    }
    const now = this.isConnected();
    if (this.wasConnected && !now) this.drops++;
    this.wasConnected = now;
  }

  result(type: number): number | undefined {
    return this.latest.get(type);
  }

  meaning(type: number, result: number): Bilingual {
    return describeState(type, result);
  }

  dropCount(): number {
    return this.drops;
  }

  routingDropCount(): number {
    return this.routingDrops;
  }

  takeNotes(): StateNote[] {
    const notes = this.notes;
    this.notes = [];
    return notes;
  }

  derive(): DerivedConnection {
    if (this.isConnected() && this.latest.get(ConnStateType.ROUTING) === RoutingResult.ROTEAMENTO_CONNECTED) {
      return {
        connected: true,
        message: bilingual(
          'Conectado: login, ativação, roteamento no estado 2 (aceito como pronto pela configuração) e market data',
          'Connected: login, activation, routing at state 2 (accepted as ready by configuration) and market data',
        ),
        terminal: false,
      };
    }
    if (this.isConnected()) {
      return {
        connected: true,
        message: bilingual(
          'Conectado: login, ativação, corretora e market data',
          'Connected: login, activation, broker and market data',
        ),
        terminal: false,
      };
    }
    const blocking = this.firstProblem();
    return { connected: false, message: blocking.message, terminal: blocking.terminal === true };
  }

  private isConnected(): boolean {
    return (
      this.anomaly === undefined &&
      this.latest.get(ConnStateType.LOGIN) === LoginResult.LOGIN_CONNECTED &&
      this.latest.get(ConnStateType.ACTIVATION) === ActivationResult.CONNECTION_ACTIVATE_VALID &&
      this.routingReady.has(this.latest.get(ConnStateType.ROUTING) ?? -1) &&
      MARKET_UP.has(this.latest.get(ConnStateType.MARKET_DATA) ?? -1)
    );
  }

  /** The most relevant reason for not being connected, in the order a user has to fix them. */
  private firstProblem(): Describe {
    if (this.anomaly) return this.anomaly;
    const login = this.latest.get(ConnStateType.LOGIN);
    if (login === undefined) return { message: bilingual('Aguardando login', 'Waiting for login'), level: 'info' };
    if (login !== LoginResult.LOGIN_CONNECTED) return LOGIN[login];
    const activation = this.latest.get(ConnStateType.ACTIVATION);
    if (activation === undefined) {
      return { message: bilingual('Aguardando validação da chave de ativação', 'Waiting for activation'), level: 'info' };
    }
    if (activation !== ActivationResult.CONNECTION_ACTIVATE_VALID) return ACTIVATION[activation];
    const routing = this.latest.get(ConnStateType.ROUTING);
    if (routing === undefined) {
      return { message: bilingual('Aguardando o roteamento', 'Waiting for routing'), level: 'info' };
    }
    if (routing === RoutingResult.ROTEAMENTO_CONNECTED && !this.options.acceptRoutingConnected) {
      return {
        level: 'info',
        message: bilingual(
          'conectado ao roteamento, aguardando corretora (estado 2; ordens seguem no estado 5, ou no 2 com BLACKBOX_PROFIT_ROUTING_READY=2)',
          'connected to routing, waiting for the broker (state 2; orders go at state 5, or at 2 with BLACKBOX_PROFIT_ROUTING_READY=2)',
        ),
      };
    }
    if (!this.routingReady.has(routing)) return ROUTING[routing];
    const market = this.latest.get(ConnStateType.MARKET_DATA);
    if (market === undefined) {
      return { message: bilingual('Aguardando o market data', 'Waiting for market data'), level: 'info' };
    }
    return MARKET[market];
  }

  private push(note: StateNote): void {
    if (this.notes.length === MAX_NOTES) this.notes.shift();
    this.notes.push(note);
  }
}

/** The login's trading accounts as ProfitDLL lists them, and how an order names one. */
import {
  ACCOUNT_IDENTIFIER_OUT_SIZE,
  type AccountIdentifier,
  type TradingAccountOut,
  decodeAccountIdentifierOut,
  decodeOutString,
} from './abi.js';
import type { AdapterContext } from './adapter-context.js';
import { adapterError } from './adapter-errors.js';
import { ProfitDllError, nlError } from './errors.js';
import { boundedLength } from './out-buffers.js';
import type { ProfitDllRequests } from './relay.js';

export interface ProfitAccount {
  brokerId: number;
  brokerName: string;
  accountId: string;
  subAccountId: string;
  holder: string;
  subHolder: string;
  /** AccountFlags bits (CA_IS_SUB_ACCOUNT, CA_IS_ENABLED). */
  flags: number;
  /** TConnectorAccountType: 0 owner, 1 assessor, 2 master, 3 sub-account, … (§7). */
  accountType: number;
  /** How BrokerOrderRequest.account names it: the account id, or "account/subaccount". */
  key: string;
}

type AccountDetails = Pick<ProfitAccount, 'brokerName' | 'holder' | 'subHolder' | 'flags' | 'accountType'>;

export function accountKey(accountId: string | null, subAccountId: string | null): string {
  return subAccountId ? `${accountId}/${subAccountId}` : accountId ?? '';
}

export function accountIdentifier(a: ProfitAccount): AccountIdentifier {
  return { Version: 0, BrokerID: a.brokerId, AccountID: a.accountId, SubAccountID: a.subAccountId, Reserved: 0 };
}

export class AccountDirectory {
  private list: ProfitAccount[] = [];
  private changedSinceRefresh = false;

  constructor(private readonly ctx: AdapterContext) {}

  get all(): readonly ProfitAccount[] {
    return this.list;
  }

  /** The DLL said the account list changed; the next connected drain reads it again. */
  get stale(): boolean {
    return this.changedSinceRefresh;
  }

  /** TAccountCallback: copy and return. */
  onAccountCallback(): void {
    this.changedSinceRefresh = true;
    this.ctx.requestDrain();
  }

  refresh(): void {
    const fns = this.ctx.session.running();
    if (!fns) return;
    this.changedSinceRefresh = false;
    const count = fns.GetAccountCount();
    const countErr = nlError(count, 'GetAccountCount');
    if (countErr) {
      this.ctx.log('error', countErr.message);
      return;
    }
    const buf = Buffer.alloc(Math.max(1, count) * ACCOUNT_IDENTIFIER_OUT_SIZE);
    const got = fns.GetAccounts(0, 0, count, buf);
    const gotErr = nlError(got, 'GetAccounts');
    if (gotErr) {
      this.ctx.log('error', gotErr.message);
      return;
    }
    const list: ProfitAccount[] = [];
    for (let i = 0; i < got; i++) {
      const id = decodeAccountIdentifierOut(buf, i);
      const identifier: AccountIdentifier = { Version: 0, BrokerID: id.BrokerID, AccountID: id.AccountID, SubAccountID: id.SubAccountID, Reserved: 0 };
      const details = this.readDetails(fns, identifier);
      if (details instanceof ProfitDllError) {
        this.ctx.log('error', `${id.AccountID}: ${details.message}`);
        continue;
      }
      list.push({
        brokerId: id.BrokerID,
        accountId: id.AccountID,
        subAccountId: id.SubAccountID,
        key: accountKey(id.AccountID, id.SubAccountID),
        ...details,
      });
    }
    this.list = list;
    this.ctx.log('info', `ProfitDLL: ${list.length} conta(s) / account(s): ${list.map((a) => `${a.key} (${a.holder})`).join(', ')}`);
  }

  /** The account an order names: `name`, else the configured default, else the login's only account. */
  resolve(name: string): ProfitAccount | undefined {
    const wanted = name || this.ctx.opts.account || '';
    if (!wanted) return this.list.length === 1 ? this.list[0] : undefined;
    return this.list.find((a) => a.key === wanted);
  }

  unknown(name: string): ProfitDllError {
    const known = this.list.map((a) => a.key).join(', ') || '—';
    const wanted = name || this.ctx.opts.account || '';
    return adapterError(
      'UNKNOWN_ACCOUNT',
      `Conta "${wanted}" não encontrada na ProfitDLL (contas: ${known})`,
      `Account "${wanted}" not found in ProfitDLL (accounts: ${known})`,
    );
  }

  /** GetAccountDetails, two-call (§6.4): the first call reports the string lengths, the second fills our buffers. */
  private readDetails(fns: ProfitDllRequests, identifier: AccountIdentifier): AccountDetails | ProfitDllError {
    const rec = {
      Version: 1,
      AccountID: identifier,
      BrokerName: null,
      BrokerNameLength: 0,
      OwnerName: null,
      OwnerNameLength: 0,
      SubOwnerName: null,
      SubOwnerNameLength: 0,
      AccountFlags: 0,
      AccountType: 0,
    } as TradingAccountOut;
    let err = nlError(fns.GetAccountDetails(rec), 'GetAccountDetails');
    if (err) return err;
    const lengths = [rec.BrokerNameLength, rec.OwnerNameLength, rec.SubOwnerNameLength].map(boundedLength);
    const buffers = this.ctx.session.buffers;
    rec.BrokerName = buffers.get('broker', lengths[0] + 1);
    rec.BrokerNameLength = lengths[0];
    rec.OwnerName = buffers.get('owner', lengths[1] + 1);
    rec.OwnerNameLength = lengths[1];
    rec.SubOwnerName = buffers.get('subOwner', lengths[2] + 1);
    rec.SubOwnerNameLength = lengths[2];
    err = nlError(fns.GetAccountDetails(rec), 'GetAccountDetails');
    if (err) return err;
    const read = (buf: unknown, given: number, now: number): string => decodeOutString(buf, Math.min(given, boundedLength(now)));
    return {
      brokerName: read(rec.BrokerName, lengths[0], rec.BrokerNameLength),
      holder: read(rec.OwnerName, lengths[1], rec.OwnerNameLength),
      subHolder: read(rec.SubOwnerName, lengths[2], rec.SubOwnerNameLength),
      flags: rec.AccountFlags,
      accountType: rec.AccountType,
    };
  }
}

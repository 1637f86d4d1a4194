import { DateTime } from 'luxon';

/** Epoch ms of a São Paulo wall-clock time, e.g. '2026-02-18T12:50'. */
export function spMs(localIso: string): number {
  const dt = DateTime.fromISO(localIso, { zone: 'America/Sao_Paulo' });
  if (!dt.isValid) throw new Error(`bad local time ${localIso}`);
  return dt.toMillis();
}

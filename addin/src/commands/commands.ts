/**
 * Ribbon commands (shared runtime: same JavaScript context as the pane and the functions).
 * "Abrir BlackBox" shows the pane; "PÂNICO" shows the pane with the PÂNICO confirmation open,
 * the same guard against an accidental click as the pane's own button.
 */
export const PANIC_REQUEST_EVENT = 'blackbox:panic-request';

type CommandEvent = { completed: () => void };

function showPane(): Promise<void> {
  const office = (globalThis as { Office?: typeof Office }).Office;
  const addin = office?.addin as { showAsTaskpane?: () => Promise<void> } | undefined;
  return addin?.showAsTaskpane ? addin.showAsTaskpane() : Promise.resolve();
}

export function openBlackBox(event: CommandEvent): void {
  showPane()
    .catch(() => undefined)
    .finally(() => event.completed());
}

export function panic(event: CommandEvent): void {
  (globalThis as { __blackboxPanicRequested?: boolean }).__blackboxPanicRequested = true;
  globalThis.dispatchEvent?.(new Event(PANIC_REQUEST_EVENT));
  showPane()
    .catch(() => undefined)
    .finally(() => event.completed());
}

const office = (globalThis as { Office?: typeof Office }).Office;
if (office && typeof office.onReady === 'function') {
  void office.onReady(() => {
    const actions = (office as { actions?: { associate: (id: string, fn: (e: CommandEvent) => void) => void } }).actions;
    actions?.associate('openBlackBox', openBlackBox);
    actions?.associate('panic', panic);
  });
}

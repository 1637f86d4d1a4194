// The sandbox's watchdog, a thread beside the strategy's: it reads the runner's probe (the hook now
// and a counter bumped at every hook call) and, when one hook has run past the budget, pauses the
// main thread through the process's own inspector (no port is opened), writes the stack it is
// stuck at to the parent's channel and kills the process. Plain JavaScript: it loads no strategy code.
import { writeSync } from 'node:fs';
import inspector from 'node:inspector';
import { workerData } from 'node:worker_threads';

const { probe: buffer, budgetMs, fd, hooks } = workerData;
const probe = new Int32Array(buffer);
const PAUSE_TIMEOUT_MS = 2_000;
let lastCount = -1;
let since = Date.now();

function report(hook, forMs, stack) {
  try {
    writeSync(fd, `${JSON.stringify({ hook, forMs, stack })}\n`);
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
}

function stuck(hook, forMs) {
  const session = new inspector.Session();
  const fallback = setTimeout(() => report(hook, forMs, undefined), PAUSE_TIMEOUT_MS);
  try {
    session.connectToMainThread();
    session.on('Debugger.paused', (m) => {
      const frame = m.params.callFrames[0];
      session.post('Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: 'new Error().stack' }, (err, r) => {
        clearTimeout(fallback);
        report(hook, forMs, err ? undefined : r?.result?.value);
      });
    });
    session.post('Debugger.enable', () => session.post('Debugger.pause'));
  } catch {
    clearTimeout(fallback);
    report(hook, forMs, undefined);
  }
}

const timer = setInterval(() => {
  const now = Date.now();
  const count = probe[1];
  const hook = probe[0];
  if (count !== lastCount || hook === 0) {
    lastCount = count;
    since = now;
    return;
  }
  if (now - since > budgetMs) {
    clearInterval(timer);
    stuck(hooks[hook] ?? 'hook', now - since);
  }
}, 100);

/**
 * The reading half of an import, on a thread of its own: reads and parses one file at a time
 * (profit-reader.ts) and posts its rows to the writer in batches whose buffers are transferred, never
 * more than MAX_BATCHES_IN_FLIGHT ahead of what the writer has stored. The writer ends this thread to
 * cancel a file.
 */
import { parentPort } from 'node:worker_threads';
import { readProfitFile } from './profit-reader.js';
import { MAX_BATCHES_IN_FLIGHT, type ReaderReply, type ReaderRequest } from './reader-protocol.js';

const port = parentPort!;
let inFlight = 0;
let room: (() => void) | undefined;
const reply = (m: ReaderReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

port.on('message', (m: ReaderRequest) => {
  if (m.op === 'ack') {
    inFlight--;
    room?.();
    room = undefined;
    return;
  }
  inFlight = 0;
  void readProfitFile(m.file, m.label, m.opts, {
    async emit(batch) {
      while (inFlight >= MAX_BATCHES_IN_FLIGHT) await new Promise<void>((r) => (room = r));
      inFlight++;
      reply({ op: 'batch', batch }, [batch.keys.buffer as ArrayBuffer, batch.nums.buffer as ArrayBuffer]);
    },
    detected: (variant, encoding, totalBytes) => reply({ op: 'detected', variant, encoding, totalBytes }),
    progress: (progress, line) => reply({ op: 'progress', progress, line }),
  }).then(
    (result) => reply({ op: 'end', result }),
    (e: Error) => reply({ op: 'end', result: { report: { file: m.label, rowsRead: 0, stored: 0, duplicates: 0, refused: [], error: `leitura interrompida: ${e.message}; nada foi gravado` }, agents: [], lastLine: 0 } }),
  );
});

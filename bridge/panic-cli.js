// `blackbox panic`: plain JavaScript on purpose. The terminal's panic path must answer fast, so it
// compiles nothing (no tsx, no TypeScript) and loads only node:http, before POSTing to the bridge.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = 'uso / usage: blackbox panic [--reason TEXTO] [--port 3000] [--data ./data] [--url URL]';
const TIMEOUT_MS = 5_000;

function fail(msg, code = 2) {
  process.stderr.write(`blackbox: ${msg}\n${USAGE}\n`);
  process.exit(code);
}

export async function panic(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { reason: { type: 'string' }, port: { type: 'string' }, data: { type: 'string' }, url: { type: 'string' } },
      strict: true,
    }));
  } catch (e) {
    fail(e.message);
  }
  const env = process.env;
  const dataDir = path.resolve(values.data ?? env.BLACKBOX_DATA ?? 'data');
  const portText = values.port ?? env.BLACKBOX_PORT ?? '3000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`--port inválido: ${portText}`);
  const url = new URL('/api/kill-switch', values.url ?? `http://127.0.0.1:${port}`);
  let token;
  try {
    token = (env.BLACKBOX_TOKEN || readFileSync(path.join(dataDir, 'token'), 'utf8')).trim();
  } catch {
    fail(`token não encontrado em ${path.join(dataDir, 'token')} (use --data ou BLACKBOX_TOKEN)`);
  }
  const body = JSON.stringify({ engaged: true, reason: values.reason ?? 'PÂNICO pela linha de comando' });
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { status, text } = await new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: TIMEOUT_MS,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`sem resposta em ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  }).catch((e) => fail(`ponte inacessível em ${url.origin}: ${e.message}`, 1));
  if (status < 200 || status >= 300) fail(`a ponte recusou (${status}): ${text}`, 1);
  process.stdout.write(`PÂNICO acionado: ${text}\n`);
}

// Generates the add-in's PNG icons (16/32/64/80) with no dependencies: vector shapes,
// 4x4 supersampling, and a minimal PNG encoder (zlib from Node). Run: node addin/assets/generate-icons.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Paints layers [{color:[r,g,b], inside:(x,y)=>bool}] in unit coordinates (0..1). */
function render(size, layers) {
  const out = Buffer.alloc(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (const layer of layers) {
        let hits = 0;
        for (let sy = 0; sy < S; sy++) {
          for (let sx = 0; sx < S; sx++) {
            const x = (px + (sx + 0.5) / S) / size;
            const y = (py + (sy + 0.5) / S) / size;
            if (layer.inside(x, y)) hits++;
          }
        }
        const cov = hits / (S * S);
        if (cov === 0) continue;
        // "over" compositing with premultiplied accumulation
        const [lr, lg, lb] = layer.color;
        r = lr * cov + r * (1 - cov);
        g = lg * cov + g * (1 - cov);
        b = lb * cov + b * (1 - cov);
        a = cov + a * (1 - cov);
      }
      const i = (py * size + px) * 4;
      out[i] = a ? Math.round(r / a) : 0;
      out[i + 1] = a ? Math.round(g / a) : 0;
      out[i + 2] = a ? Math.round(b / a) : 0;
      out[i + 3] = Math.round(a * 255);
    }
  }
  return out;
}

const roundRect = (x0, y0, x1, y1, rad) => (x, y) => {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + rad), x1 - rad);
  const cy = Math.min(Math.max(y, y0 + rad), y1 - rad);
  return (x - cx) ** 2 + (y - cy) ** 2 <= rad * rad;
};
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const union = (...fs) => (x, y) => fs.some((f) => f(x, y));

/** Letter B in the box (x0,y0)-(x1,y1) with stroke t. */
function letterB(x0, y0, x1, y1, t) {
  const h = y1 - y0;
  const mid = y0 + h * 0.48;
  const bowl = (top, bottom, right) => {
    const R = (bottom - top) / 2;
    const cx = right - R;
    const cy = top + R;
    return union(
      rect(x0, top, cx, top + t),
      rect(x0, bottom - t, cx, bottom),
      (x, y) => x >= cx && (x - cx) ** 2 + (y - cy) ** 2 <= R * R && (x - cx) ** 2 + (y - cy) ** 2 >= (R - t) ** 2,
    );
  };
  return union(rect(x0, y0, x0 + t, y1), bowl(y0, mid + t / 2, x1 - (x1 - x0) * 0.1), bowl(mid - t / 2, y1, x1));
}

function appIcon(size) {
  const t = size <= 16 ? 0.085 : 0.07;
  return render(size, [
    { color: [20, 23, 28], inside: roundRect(0, 0, 1, 1, 0.18) },
    { color: [33, 197, 93], inside: rect(0.16, 0.78, 0.84, 0.85) },
    { color: [243, 243, 243], inside: letterB(0.14, 0.18, 0.47, 0.7, t) },
    { color: [243, 243, 243], inside: letterB(0.53, 0.18, 0.86, 0.7, t) },
  ]);
}

function octagon(inset) {
  const a = 0.29 + inset * 0.4;
  return (x, y) => {
    const u = x - 0.5;
    const v = y - 0.5;
    const lim = 0.5 - inset;
    if (Math.abs(u) > lim || Math.abs(v) > lim) return false;
    return Math.abs(u) + Math.abs(v) <= lim + (0.5 - a) * 1.0;
  };
}

function panicIcon(size) {
  return render(size, [
    { color: [255, 255, 255], inside: octagon(0) },
    { color: [197, 15, 31], inside: octagon(size <= 16 ? 0.07 : 0.05) },
    { color: [255, 255, 255], inside: roundRect(0.43, 0.2, 0.57, 0.62, 0.05) },
    { color: [255, 255, 255], inside: (x, y) => (x - 0.5) ** 2 + (y - 0.76) ** 2 <= 0.075 ** 2 },
  ]);
}

for (const size of [16, 32, 64, 80]) {
  writeFileSync(join(here, `icon-${size}.png`), encodePng(size, appIcon(size)));
  writeFileSync(join(here, `panic-${size}.png`), encodePng(size, panicIcon(size)));
}
console.log('icons written to', here);

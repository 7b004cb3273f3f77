// Qun's app icons drawn in code (no image files to keep in step): a speech bubble on the accent colour,
// encoded as PNG with zlib, and a favicon.ico that wraps the 32 px PNG (ICO allows PNG entries).
import zlib from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** Whether pixel (x, y) of a unit square lies in the bubble: a rounded body and a tail at the lower left. */
function inBubble(x: number, y: number): boolean {
  const inRect = (l: number, t: number, r: number, b: number, rad: number) => {
    if (x < l || x > r || y < t || y > b) return false;
    const cx = Math.min(Math.max(x, l + rad), r - rad);
    const cy = Math.min(Math.max(y, t + rad), b - rad);
    return (x - cx) ** 2 + (y - cy) ** 2 <= rad * rad;
  };
  const body = inRect(0.2, 0.24, 0.8, 0.66, 0.12);
  // The tail: a triangle below the body's left part.
  const tail = y >= 0.6 && y <= 0.8 && x >= 0.3 && x <= 0.46 && x - 0.3 <= (0.8 - y) * 0.8;
  return body || tail;
}

/** A square PNG icon; maskable-safe (the bubble stays inside the central 60 %). */
export function pngIcon(size: number): Buffer {
  const accent = [0x1a, 0x6f, 0xd6];
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    const row = y * (size * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const white = inBubble((x + 0.5) / size, (y + 0.5) / size);
      const dot =
        white &&
        [0.36, 0.5, 0.64].some(
          (cx) => ((x + 0.5) / size - cx) ** 2 + ((y + 0.5) / size - 0.45) ** 2 < 0.0025,
        );
      const c = dot ? accent : white ? [255, 255, 255] : accent;
      raw.set(c, row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** favicon.ico holding one 32×32 PNG. */
export function favicon(): Buffer {
  const png = pngIcon(32);
  const head = Buffer.alloc(6 + 16);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2); // type: icon
  head.writeUInt16LE(1, 4); // one image
  head[6] = 32;
  head[7] = 32;
  head.writeUInt16LE(1, 10); // colour planes
  head.writeUInt16LE(32, 12); // bits per pixel
  head.writeUInt32LE(png.length, 14);
  head.writeUInt32LE(22, 18);
  return Buffer.concat([head, png]);
}

import { randomBytes } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/**
 * Random bytes drawn from a pool refilled 8 KiB at a time: one `randomBytes` call per 512 ids instead of two per
 * id (each call costs microseconds; bulk writes such as a roster import make hundreds of thousands of ids).
 */
const POOL_BYTES = 8192;
let pool = Buffer.alloc(0);
let poolOffset = POOL_BYTES;

function random(bytes: number): Buffer {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return slice;
}

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits — ids sort by creation time, which keeps
 * B-tree indexes compact. Within one millisecond a 12-bit counter keeps ids from this process monotonic.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs += 1; // counter exhausted: borrow the next millisecond
    now = lastMs;
  } else {
    lastMs = now;
    sequence = random(2).readUInt16BE(0) & 0x7ff; // random start, leaving room to count up
  }
  const bytes = random(16); // the pool's bytes are handed out once: this id may write into them
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

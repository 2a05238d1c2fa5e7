import crypto from 'node:crypto'

/** CRC table of POSIX cksum: polynomial 0x04C11DB7, most significant bit first. */
const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << 24
    for (let bit = 0; bit < 8; bit++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1
    table[i] = c >>> 0
  }
  return table
})()

/**
 * The first number printed by the POSIX `cksum` command (not zlib's crc32): the CRC of
 * the bytes, then of the length in as few bytes as needed (low byte first), inverted.
 * The old script's ports come from `echo -n "$CLUSTER" | cksum`.
 */
export function cksum(input: string | Uint8Array): number {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
  let crc = 0
  const feed = (b: number) => {
    crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0
  }
  for (const b of bytes) feed(b)
  for (let len = bytes.length; len > 0; len = Math.floor(len / 256)) feed(len & 0xff)
  return ~crc >>> 0
}

/** First N hex characters of md5 (the old `echo -n "$x" | md5sum | cut -c1-6`). */
export function md5Prefix(input: string, length = 6): string {
  return crypto.createHash('md5').update(input, 'utf8').digest('hex').slice(0, length)
}

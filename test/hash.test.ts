import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import { cksum, md5Prefix } from '../lib/hash.ts'

/** 200 random strings: ASCII, UTF-8, empty, and lengths that cross 256 (multi-byte length suffix). */
function randomStrings(): string[] {
  const out = ['', 'a', 'threads-agent-vitalii-se-c18b4c', 'é', 'x'.repeat(255), 'y'.repeat(256), 'z'.repeat(70000)]
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABC0123456789-_ .éü李🚀'
  while (out.length < 200) {
    const len = crypto.randomInt(0, 600)
    const chars = Array.from(alphabet)
    out.push(Array.from({ length: len }, () => chars[crypto.randomInt(chars.length)]).join(''))
  }
  return out
}

test('cksum and md5Prefix equal the system cksum and md5sum for 200 random strings', () => {
  const strings = randomStrings()
  // One bash call checks them all: NUL-separated input, one "cksum md5" line per string.
  const script = `while IFS= read -r -d '' s; do printf '%s %s\\n' "$(printf '%s' "$s" | cksum | cut -d' ' -f1)" "$(printf '%s' "$s" | md5sum | cut -c1-6)"; done`
  const expected = execFileSync('bash', ['-c', script], { input: strings.map((s) => `${s}\0`).join(''), encoding: 'utf8', maxBuffer: 1 << 26 })
    .trim()
    .split('\n')
  assert.equal(expected.length, strings.length)
  strings.forEach((s, i) => {
    assert.equal(`${cksum(s)} ${md5Prefix(s)}`, expected[i], `string #${i} of length ${s.length}`)
  })
})

test('cksum of known values (POSIX CRC, not zlib crc32)', () => {
  assert.equal(cksum(''), 4294967295)
  assert.equal(cksum('threads-agent-vitalii-se-c18b4c') % 100, 62)
  assert.equal(cksum(Buffer.from('123456789')), 930766865)
})

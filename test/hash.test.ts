import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { cksum, md5Prefix } from '../lib/hash.ts'
import { tempDirs } from './helpers/sandbox.ts'

const tmp = tempDirs('hash-')

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

test('cksum and md5Prefix equal the system cksum and md5sum for 200 random strings', async () => {
  const strings = randomStrings()
  // One file per string, and one cksum and one md5sum call over all of them (in order).
  const dir = await tmp()
  const files = strings.map((s, i) => {
    const file = path.join(dir, String(i))
    writeFileSync(file, s)
    return file
  })
  const column = (cmd: string, take: (line: string) => string) =>
    execFileSync(cmd, files, { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').map(take)
  const crcs = column('cksum', (l) => l.split(' ')[0]!)
  const md5s = column('md5sum', (l) => l.slice(0, 6))
  assert.equal(crcs.length, strings.length)
  assert.equal(md5s.length, strings.length)
  strings.forEach((s, i) => {
    assert.equal(`${cksum(s)} ${md5Prefix(s)}`, `${crcs[i]} ${md5s[i]}`, `string #${i} of length ${s.length}`)
  })
})

test('cksum of known values (POSIX CRC, not zlib crc32)', () => {
  assert.equal(cksum(''), 4294967295)
  assert.equal(cksum('threads-agent-vitalii-se-c18b4c') % 100, 62)
  assert.equal(cksum(Buffer.from('123456789')), 930766865)
})

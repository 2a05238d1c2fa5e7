import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fs } from 'zx'
import { CONFIG_FILE, DEFAULT_CONFIG, imagesFor, loadConfig, parseConfig } from '../lib/config.ts'
import { UsageError } from '../lib/errors.ts'
import { tempDirs } from './helpers/sandbox.ts'

const tmp = tempDirs('cfg-')

test('defaults reproduce the old script: seven images, 1 server, 2 agents, its k3s args and ranges', async () => {
  const top = await tmp()
  const config = await loadConfig(top, {})
  assert.deepEqual(config, DEFAULT_CONFIG)
  assert.equal(imagesFor(config, 'v1.0.0').length, 7)
  assert.equal(imagesFor(config, 'v1.0.0')[0], 'ghcr.io/threads-agent-stack/orchestrator:v1.0.0')
  assert.equal(imagesFor(config, 'v1.0.0')[4], 'bitnami/postgresql:16')
})

test('a config file overrides, and the range variables override the file', async () => {
  const top = await tmp()
  await fs.writeFile(path.join(top, CONFIG_FILE), JSON.stringify({ images: ['app:{tag}'], agents: 0, lbPortRange: '9000-9009', apiPortRange: { start: 7000, end: 7009 }, deploy: 'make deploy' }))
  const config = await loadConfig(top, { API_PORT_RANGE: '7100-7109' })
  assert.deepEqual(config.images, ['app:{tag}'])
  assert.equal(config.agents, 0)
  assert.deepEqual(config.lbPortRange, { start: 9000, end: 9009 })
  assert.deepEqual(config.apiPortRange, { start: 7100, end: 7109 })
  assert.equal(config.deploy, 'make deploy')
})

test('bad files are usage errors naming each key', async () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ imagez: [] }, /imagez: unknown key/],
    [{ servers: 'one' }, /servers: expected a whole number/],
    [{ agents: -1 }, /agents: expected a whole number/],
    [{ lbPortRange: '9009-9000' }, /lbPortRange: range 9009-9000 is inverted/],
    [{ apiPortRange: { start: 1 } }, /apiPortRange: expected/],
    [{ images: [1] }, /images: expected an array of non-empty strings/],
    [{ deploy: 3 }, /deploy: expected a shell command/],
    [{ mcpServer: { args: [] } }, /mcpServer: expected/],
    [{ mcp: { server: 'kubectl-ai' } }, /mcp.server: unknown MCP server "kubectl-ai" \(known: mcp-server-kubernetes, kubernetes-mcp-server; or give "command" and "args" for another one\)/],
    [{ mcp: { server: 'mcp-server-kubernetes', version: '4.1' } }, /mcp.version: expected a major version/],
    [{ mcp: { server: 'mcp-server-kubernetes', version: 4 } }, /mcp.version: expected a major version/],
    [{ mcp: { server: 'kubernetes-mcp-server', command: 'x' } }, /mcp.command: unknown key next to "server"/],
    [{ mcp: 'npx' }, /mcp: expected/],
    [{ mcp: { command: 'npx' }, mcpServer: { command: 'npx' } }, /mcp, mcpServer: give one of them/],
    [{ isolation: 'per-agent' }, /isolation: expected "identity" or "worktree", got "per-agent"/],
    [[], /expected a JSON object/],
  ]
  for (const [data, re] of cases) assert.throws(() => parseConfig(data, 'f.json'), (e: unknown) => e instanceof UsageError && re.test(e.message), JSON.stringify(data))
  const both = (() => { try { parseConfig({ a: 1, servers: 0 }, 'f.json') } catch (e) { return (e as Error).message } })()
  assert.match(both ?? '', /a: unknown key.*servers: expected/)
  const top = await tmp()
  await fs.writeFile(path.join(top, CONFIG_FILE), '{ nope')
  await assert.rejects(loadConfig(top, {}), (e: unknown) => e instanceof UsageError && /not valid JSON/.test(e.message))
  await assert.rejects(loadConfig(await tmp(), { LB_PORT_RANGE: 'x' }), UsageError)
})

test('mcpServer (the custom form), mcp with a known server, isolation and null deploy are accepted', () => {
  const c = parseConfig({ mcpServer: { command: 'node', args: ['server.js'] }, deploy: null }, 'f.json')
  assert.deepEqual(c.mcp, { command: 'node', args: ['server.js'] })
  assert.equal(c.deploy, null)
  assert.equal(c.isolation, undefined)
  assert.deepEqual(parseConfig({ mcp: { command: 'node' } }, 'f.json').mcp, { command: 'node', args: [] })
  assert.deepEqual(parseConfig({ mcp: { server: 'kubernetes-mcp-server' } }, 'f.json').mcp, { server: 'kubernetes-mcp-server', version: '0' })
  assert.deepEqual(parseConfig({ mcp: { server: 'mcp-server-kubernetes', version: '3' }, isolation: 'worktree' }, 'f.json'), { ...DEFAULT_CONFIG, mcp: { server: 'mcp-server-kubernetes', version: '3' }, isolation: 'worktree' })
  assert.deepEqual(DEFAULT_CONFIG.mcp, { server: 'mcp-server-kubernetes', version: '4' })
})

test('colour: only on a TTY, NO_COLOR turns it off, FORCE_COLOR on (but not "0")', async () => {
  const { colorEnabled } = await import('../lib/output.ts')
  assert.equal(colorEnabled({}, true), true)
  assert.equal(colorEnabled({}, false), false)
  assert.equal(colorEnabled({ NO_COLOR: '1' }, true), false)
  assert.equal(colorEnabled({ FORCE_COLOR: '1' }, false), true)
  assert.equal(colorEnabled({ FORCE_COLOR: '0' }, true), false)
  assert.equal(colorEnabled({ FORCE_COLOR: '1', NO_COLOR: '1' }, false), true)
})

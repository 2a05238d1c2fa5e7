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

test('bind_address, registry, memory and k3d: defaults, values, and each problem with its key', async () => {
  assert.equal(DEFAULT_CONFIG.bindAddress, '127.0.0.1')
  assert.equal(DEFAULT_CONFIG.registry, null)
  const c = parseConfig({ bind_address: '0.0.0.0', registry: true, memory: '1g', k3d: { volumes: [{ volume: '/x:/x' }] } }, 'f.json')
  assert.equal(c.bindAddress, '0.0.0.0')
  assert.deepEqual(c.registry, { name: 'threads-agent-registry', portRange: { start: 5000, end: 5099 }, proxy: null })
  assert.deepEqual(c.memory, { servers: '1g', agents: '1g' })
  assert.deepEqual(c.k3d, { volumes: [{ volume: '/x:/x' }] })
  const custom = parseConfig({ registry: { name: 'team-reg', port_range: '5100-5109', proxy: 'https://registry-1.docker.io' }, memory: { agents: '512m' } }, 'f.json')
  assert.deepEqual(custom.registry, { name: 'team-reg', portRange: { start: 5100, end: 5109 }, proxy: 'https://registry-1.docker.io' })
  assert.deepEqual(custom.memory, { agents: '512m' })
  assert.equal(parseConfig({ registry: false }, 'f.json').registry, null)
  const cases: Array<[unknown, RegExp]> = [
    [{ bind_address: 'localhost' }, /bind_address: expected an IPv4 address/],
    [{ bind_address: 0 }, /bind_address: expected an address/],
    [{ memory: '512' }, /memory: "512" is below docker's minimum/],
    [{ memory: 'huge' }, /memory: "huge" is not a size docker understands/],
    [{ memory: { servers: '1g', nodes: '1g' } }, /memory\.nodes: unknown key/],
    [{ memory: [] }, /memory: expected a size/],
    [{ registry: 'yes' }, /registry: expected true, false or/],
    [{ registry: { name: 'Bad_Name' } }, /registry\.name: name "Bad_Name" is not a valid hostname/],
    [{ registry: { port_range: '5099-5000' } }, /registry\.port_range: range 5099-5000 is inverted/],
    [{ registry: { proxy: 'registry-1.docker.io' } }, /registry\.proxy: expected the URL/],
    [{ registry: { host: 'x' } }, /registry\.host: unknown key/],
    [{ k3d: { volume: [] } }, /k3d\.volume: not a key of k3d's config/],
    [{ k3d: { ports: [] } }, /k3d\.ports: set by this tool/],
    [{ k3d: { options: { kubeconfig: { switchCurrentContext: true } } } }, /k3d\.options\.kubeconfig: set by this tool/],
    [{ registry: { proxy: 'https://registry-1.docker.io' }, k3d: { registries: { config: 'x' } } }, /k3d\.registries\.config: set by this tool while "registry" caches/],
  ]
  for (const [data, re] of cases) assert.throws(() => parseConfig(data, 'f.json'), (e: unknown) => e instanceof UsageError && re.test(e.message), JSON.stringify(data))
  // BIND_ADDRESS overrides the file, and is checked the same way
  const top = await tmp()
  await fs.writeFile(path.join(top, CONFIG_FILE), JSON.stringify({ bind_address: '0.0.0.0' }))
  assert.equal((await loadConfig(top, { BIND_ADDRESS: '127.0.0.1' })).bindAddress, '127.0.0.1')
  assert.equal((await loadConfig(top, {})).bindAddress, '0.0.0.0')
  await assert.rejects(loadConfig(top, { BIND_ADDRESS: 'everywhere' }), (e: unknown) => e instanceof UsageError && /^BIND_ADDRESS: /.test(e.message))
})

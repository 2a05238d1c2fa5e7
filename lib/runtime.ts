import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** How this process runs the project's TypeScript: a prebuilt bundle, tsx's loader, or Node itself. */
export type Runner = 'bundle' | 'tsx' | 'node'

export interface RuntimeInfo {
  /** The project's version (package.json). */
  version: string
  /** Node's version, e.g. v20.20.2. */
  node: string
  runner: Runner
  /** The file Node is running for this code (the bundle, or this module's source). */
  file: string
}

/**
 * Says what runs this code. Both the sources (`lib/`) and the bundle (`dist/`) sit one level
 * below the project root, so package.json is found the same way from either.
 */
export function runtimeInfo(moduleUrl: string = import.meta.url): RuntimeInfo {
  const file = fileURLToPath(moduleUrl)
  let version = 'unknown'
  try {
    version = (JSON.parse(readFileSync(path.join(path.dirname(file), '..', 'package.json'), 'utf8')) as { version?: string }).version ?? version
  } catch {
    // a copy without its package.json still runs; it just cannot say its version
  }
  const runner: Runner = !file.endsWith('.ts') ? 'bundle' : process.execArgv.some((a) => a.includes('tsx')) ? 'tsx' : 'node'
  return { version, node: process.version, runner, file }
}

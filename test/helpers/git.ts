import path from 'node:path'
import { fs } from 'zx'
import type { Sandbox } from './sandbox.ts'

export interface RepoOptions {
  /** Directory name under the sandbox root (default: "repo"). */
  dir?: string
  remote?: string | null
  userName?: string | null
  email?: string | null
}

/** A git repository in the sandbox with the given remote and identity (local config). */
export async function makeRepo(sb: Sandbox, opts: RepoOptions = {}): Promise<string> {
  const dir = path.join(sb.root, opts.dir ?? 'repo')
  await fs.mkdir(dir, { recursive: true })
  const git = async (...args: string[]) => {
    const r = await sb.run('git', args, { cwd: dir })
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  }
  await git('init', '-q')
  if (opts.remote !== null) await git('remote', 'add', 'origin', opts.remote ?? 'git@github.com:vitamin33/threads-agent.git')
  if (opts.userName !== null) await git('config', 'user.name', opts.userName ?? 'Vitalii Serbyn')
  if (opts.email !== null) await git('config', 'user.email', opts.email ?? 'vitaliis@example.com')
  return dir
}

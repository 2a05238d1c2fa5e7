import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { identityFromGit, nameFor, repoFromRemote, worktreeNameFor } from '../lib/identity.ts'
import { clusterName, k3dNameProblem, userSlug, validateClusterName, worktreeClusterName } from '../lib/names.ts'
import { md5Prefix } from '../lib/hash.ts'
import { clusterNameOf, isolationOf } from '../lib/isolation.ts'
import { UsageError } from '../lib/errors.ts'

interface Row {
  remote: string | null
  top: string
  user: string | null
  email: string | null
  personal: string
  shared: string
  /** The old script gives the same personal name (it fits and the user part is plain ASCII). */
  legacy?: boolean
}

const VS = { user: 'Vitalii Serbyn', email: 'vitaliis@example.com' }
const rows: Row[] = [
  { remote: 'git@github.com:vitamin33/threads-agent.git', top: '/w/threads-agent', ...VS, personal: 'threads-agent-vitalii-se-c18b4c', shared: 'threads-agent', legacy: true },
  { remote: 'https://github.com/vitamin33/threads-agent.git', top: '/w/x', ...VS, personal: 'threads-agent-vitalii-se-c18b4c', shared: 'threads-agent', legacy: true },
  { remote: 'https://github.com/vitamin33/threads-agent', top: '/w/x', ...VS, personal: 'threads-agent-vitalii-se-c18b4c', shared: 'threads-agent', legacy: true },
  { remote: 'https://github.com/vitamin33/threads-agent/', top: '/w/x', user: 'Alice Smith', email: 'alice@example.com', personal: 'threads-agent-alice-smit-c160f8', shared: 'threads-agent', legacy: true },
  { remote: 'https://github.com/vitamin33/threads-agent.git/', top: '/w/x', user: 'Bob Jones', email: 'bob@example.com', personal: 'threads-agent-bob-jones-4b9bb8', shared: 'threads-agent' },
  { remote: 'ssh://git@github.com:22/vitamin33/threads-agent.git', top: '/w/x', user: 'Bob Jones', email: 'bob@example.com', personal: 'threads-agent-bob-jones-4b9bb8', shared: 'threads-agent', legacy: true },
  { remote: 'git@gitlab.com:group/sub/api.git', top: '/w/x', user: 'alice', email: 'alice@example.com', personal: 'api-alice-c160f8', shared: 'api', legacy: true },
  { remote: '/srv/git/tools.git', top: '/w/x', user: 'Carol', email: 'carol@example.com', personal: 'tools-carol-d4766e', shared: 'tools', legacy: true },
  { remote: 'file:///srv/git/Tools.GIT', top: '/w/x', user: 'Carol', email: 'carol@example.com', personal: 'tools-git-carol-d4766e', shared: 'tools-git', legacy: true },
  { remote: null, top: '/home/u/widgets', ...VS, personal: 'widgets-vitalii-se-c18b4c', shared: 'widgets', legacy: true },
  { remote: null, top: '/home/u/another-project', ...VS, personal: 'another-p-349f-vitalii-se-c18b4c', shared: 'another-project' },
  { remote: 'git@gitlab.com:a/My.Repo_Name.git', top: '/w/x', user: 'Dan', email: 'dan@example.com', personal: 'my-repo-name-dan-6bf919', shared: 'my-repo-name', legacy: true },
  { remote: 'https://h/o/r.git', top: '/w/x', user: 'José Álvarez', email: 'jose@example.com', personal: 'r-jose-alvar-af4810', shared: 'r' },
  { remote: 'https://h/o/r.git', top: '/w/x', user: 'Zoë Brontë', email: 'zoe@example.com', personal: 'r-zoe-bronte-76cec4', shared: 'r' },
  { remote: 'https://h/o/r.git', top: '/w/x', user: '李小龍', email: 'li@example.com', personal: 'r-unknown-b81952', shared: 'r' },
  { remote: 'https://h/o/r.git', top: '/w/x', user: '🚀 Rocket', email: 'r@example.com', personal: 'r-rocket-b59a8b', shared: 'r' },
  { remote: 'https://h/o/r.git', top: '/w/x', user: '!!!', email: 'p@example.com', personal: 'r-unknown-4c3ff7', shared: 'r' },
  { remote: 'https://h/o/r.git', top: '/w/x', user: "O'Brien,  Pat", email: 'pat@example.com', personal: 'r-o-brien-pa-3ddcaf', shared: 'r' },
  { remote: 'https://h/o/r.git', top: '/w/x', user: '', email: 'e@example.com', personal: 'r-unknown-16c09d', shared: 'r' },
  { remote: 'https://h/o/r.git', top: '/w/x', user: null, email: 'e@example.com', personal: 'r-unknown-16c09d', shared: 'r' },
  { remote: 'https://h/o/r.git', top: '/w/x', user: 'Jane Doe', email: null, personal: 'r-jane-doe-15f5e6', shared: 'r', legacy: true },
  { remote: 'https://h/o/_private.git', top: '/w/x', user: 'Ann', email: 'ann@example.com', personal: 'private-ann-257c57', shared: 'private' },
  { remote: 'https://h/o/super-long-repository-name-for-testing.git', top: '/w/x', ...VS, personal: 'super-lon-f4da-vitalii-se-c18b4c', shared: 'super-long-repository-nam-f4da4a' },
  { remote: 'https://h/o/threads-agent-infrastructure.git', top: '/w/x', ...VS, personal: 'threads-a-9335-vitalii-se-c18b4c', shared: 'threads-agent-infrastructure' },
  { remote: 'https://h/o/exactly-thirty-two-characters-long.git', top: '/w/x', user: 'Al', email: 'al@example.com', personal: 'exactly-thirty-tw-0828-al-dd5fd5', shared: 'exactly-thirty-two-charac-082889' },
  { remote: 'https://h/o/a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s.git', top: '/w/x', user: 'Al', email: 'al@example.com', personal: 'a-b-c-d-e-f-g-h-i-b90e-al-dd5fd5', shared: 'a-b-c-d-e-f-g-h-i-j-k-l-m-b90e18' },
]

function identity(r: Row) {
  return identityFromGit({ remoteUrl: r.remote, topLevel: r.top, userName: r.user, email: r.email })
}

test('identity table: every generated name is a valid k3d name (RFC 1123, <= 32)', () => {
  assert.ok(rows.length >= 25)
  for (const r of rows) {
    const id = identity(r)
    for (const shared of [false, true]) {
      const name = nameFor(id, shared)
      assert.equal(k3dNameProblem(name), null, `${name} from ${JSON.stringify(r)}`)
    }
  }
})

/** The old script's pipeline, run by bash with the real tr/sed/cut/md5sum. */
function legacyName(r: Row): string {
  const script = `
    repo=$(basename "$1" .git | tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9-]/-/g')
    user=$(echo "$2" | tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9]/-/g' | cut -c1-10)
    hash=$(echo -n "$3" | md5sum | cut -c1-6)
    echo "$repo-$user-$hash" | cut -c1-63 | sed 's/[^a-z0-9-]/-/g' | sed 's/-*$//'`
  const base = r.remote ?? r.top
  return execFileSync('bash', ['-c', script, 'legacy', base, r.user ?? 'unknown', r.email ?? 'unknown@example.com'], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  }).trim()
}

test('identity table: names that fit equal the old script byte for byte', () => {
  let compared = 0
  for (const r of rows.filter((x) => x.legacy)) {
    // remote "…/threads-agent" without .git and "ssh://…:22/…" end the same for basename
    assert.equal(nameFor(identity(r), false), legacyName(r), JSON.stringify(r))
    compared++
  }
  assert.ok(compared >= 10)
})

test('identity table: expected personal and shared names', () => {
  for (const r of rows) {
    const id = identity(r)
    assert.equal(nameFor(id, false), r.personal, JSON.stringify(r))
    assert.equal(nameFor(id, true), r.shared, JSON.stringify(r))
  }
})

test('long repositories that share a prefix still get distinct names', () => {
  const a = identityFromGit({ remoteUrl: 'https://h/o/threads-agent-infrastructure.git', topLevel: '/x', userName: 'A', email: 'a@x' })
  const b = identityFromGit({ remoteUrl: 'https://h/o/threads-agent-infra-tools.git', topLevel: '/x', userName: 'A', email: 'a@x' })
  assert.notEqual(nameFor(a, false), nameFor(b, false))
  const longA = identityFromGit({ remoteUrl: `https://h/o/${'x'.repeat(40)}-one.git`, topLevel: '/x', userName: 'A', email: 'a@x' })
  const longB = identityFromGit({ remoteUrl: `https://h/o/${'x'.repeat(40)}-two.git`, topLevel: '/x', userName: 'A', email: 'a@x' })
  assert.notEqual(nameFor(longA, true), nameFor(longB, true))
})

test('an email that is not configured is unknown@example.com and says so', () => {
  const id = identityFromGit({ remoteUrl: null, topLevel: '/x/r', userName: 'A', email: null })
  assert.equal(id.email, 'unknown@example.com')
  assert.equal(id.emailConfigured, false)
  assert.equal(id.emailHash, '15f5e6') // md5("unknown@example.com")
})

test('repoFromRemote handles every form git accepts', () => {
  assert.equal(repoFromRemote('git@github.com:o/r.git'), 'r')
  assert.equal(repoFromRemote('https://github.com/o/r.git/'), 'r')
  assert.equal(repoFromRemote('ssh://git@h:2222/o/r'), 'r')
  assert.equal(repoFromRemote('git@h:r.git'), 'r')
  assert.equal(repoFromRemote('C:\\src\\r.git'), 'r')
  assert.equal(repoFromRemote('https://h/'), 'h')
  assert.equal(repoFromRemote(''), null)
})

test('userSlug folds accents, collapses and trims, keeps 10 characters', () => {
  assert.equal(userSlug('Vitalii Serbyn'), 'vitalii-se')
  assert.equal(userSlug('  José  '), 'jose')
  assert.equal(userSlug('ÆØÅ'), 'a') // Å folds to A; Æ and Ø have no ASCII fold
  assert.equal(userSlug('a--b__c'), 'a-b-c')
})

test('clusterName keeps the hash when the user part fills its 10 characters', () => {
  const name = clusterName({ repository: 'r'.repeat(50), user: 'abcdefghij', emailHash: '123456', shared: false })
  assert.ok(name.endsWith('-abcdefghij-123456'))
  assert.equal(name.length <= 32, true)
})

test('validateClusterName rejects what k3d rejects, as a usage error', () => {
  for (const bad of ['', '../x', 'a/b', 'a b', '-a', 'a-', 'a_b', 'x'.repeat(33), '..', 'a..b']) {
    assert.throws(() => validateClusterName(bad), UsageError, bad)
  }
  assert.throws(() => validateClusterName(undefined), UsageError)
  for (const good of ['dev', 'a', 'threads-agent-vitalii-se-c18b4c', 'x'.repeat(32), 'a.b', 'A1']) assert.equal(validateClusterName(good), good)
  assert.match(k3dNameProblem('x'.repeat(40)) ?? '', /must be <= 32 characters, but has 40/)
})

// ---------------------------------------------------------------- one cluster per work tree
const md5 = (s: string) => execFileSync('bash', ['-c', 'echo -n "$1" | md5sum | cut -c1-4', 'md5', s], { encoding: 'utf8' }).trim()

test('--worktree: REPO-USER-HASH-WWWW, WWWW the md5 of the work tree path, at most 32, no hash ever cut', () => {
  const top = '/home/u/src/widgets'
  const id = identityFromGit({ remoteUrl: null, topLevel: top, userName: 'Al', email: 'al@example.com' })
  assert.equal(worktreeNameFor(id), `widgets-al-dd5fd5-${md5(top)}`)
  // threads-agent-vitalii-se-c18b4c is 31 characters: the repository part gives way, marked with its own hash
  const vs = identityFromGit({ remoteUrl: 'git@github.com:vitamin33/threads-agent.git', topLevel: '/w/threads-agent', userName: 'Vitalii Serbyn', email: 'vitaliis@example.com' })
  const name = worktreeNameFor(vs)
  assert.equal(name, `thre-${md5Prefix('threads-agent', 4)}-vitalii-se-c18b4c-${md5('/w/threads-agent')}`)
  assert.equal(name.length, 32)
  for (const r of rows) {
    for (const wt of ['/w/a', '/very/long/path/to/some/worktree/of/the/repository-agent-7', '/']) {
      const n = worktreeNameFor(identityFromGit({ remoteUrl: r.remote, topLevel: wt, userName: r.user, email: r.email }))
      assert.equal(k3dNameProblem(n), null, n)
      assert.ok(n.endsWith(`-${identity(r).emailHash}-${md5(wt)}`), `${n} keeps both hashes`)
    }
  }
})

test('--worktree: two work trees of one identity get two names; without it the name is the old one', () => {
  const at = (top: string) => identityFromGit({ remoteUrl: 'git@github.com:o/api.git', topLevel: top, userName: 'Al', email: 'al@example.com' })
  assert.notEqual(worktreeNameFor(at('/src/api')), worktreeNameFor(at('/src/api-agent-2')))
  assert.equal(nameFor(at('/src/api'), false), nameFor(at('/src/api-agent-2'), false))
  assert.equal(clusterNameOf(at('/src/api'), false, 'identity'), 'api-al-dd5fd5')
  assert.equal(clusterNameOf(at('/src/api'), false, 'worktree'), worktreeNameFor(at('/src/api')))
  // the shared cluster is one per repository whatever the isolation: agents of every work tree meet there
  assert.equal(clusterNameOf(at('/src/api-agent-2'), true, 'worktree'), 'api')
})

test('--worktree: the user part gives way only when the repository part could not keep 3 characters and its hash', () => {
  const long = worktreeClusterName({ repository: 'repository', user: 'a-very-long-user-name', emailHash: '123456' }, '/w')
  assert.equal(long.length <= 32, true)
  assert.ok(long.startsWith(`rep-${md5Prefix('repository', 4)}-`), long)
  assert.ok(long.endsWith(`-123456-${md5Prefix('/w', 4)}`), long)
  const short = worktreeClusterName({ repository: 'r', user: 'abcdefghij', emailHash: '123456' }, '/w')
  assert.equal(short, `r-abcdefghij-123456-${md5Prefix('/w', 4)}`)
})

test('isolation: --worktree / --no-worktree, then CLUSTER_ISOLATION, then the config file, else per identity', () => {
  assert.equal(isolationOf(undefined, {}, undefined), 'identity')
  assert.equal(isolationOf(undefined, {}, 'worktree'), 'worktree')
  assert.equal(isolationOf(undefined, { CLUSTER_ISOLATION: 'identity' }, 'worktree'), 'identity')
  assert.equal(isolationOf(undefined, { CLUSTER_ISOLATION: 'worktree' }, undefined), 'worktree')
  assert.equal(isolationOf(false, { CLUSTER_ISOLATION: 'worktree' }, 'worktree'), 'identity')
  assert.equal(isolationOf(true, {}, 'identity'), 'worktree')
  assert.throws(() => isolationOf(undefined, { CLUSTER_ISOLATION: 'tree' }, undefined), (e: unknown) => e instanceof UsageError && /CLUSTER_ISOLATION: expected "identity" or "worktree", got "tree"/.test(e.message))
})

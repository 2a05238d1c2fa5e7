import { InterruptedError } from '../errors.ts'

export interface PickItem {
  name: string
  current: boolean
  note: string // e.g. "stopped", shown after the name
}

/**
 * Pure: ITEMS matching TERM as a fuzzy subsequence (fzf's basic rule: the term's characters in
 * order, not necessarily adjacent), best first: a contiguous match, then an earlier and
 * tighter one; ties keep the given order.
 */
export function fuzzyFilter<T extends { name: string }>(items: readonly T[], term: string | undefined): T[] {
  const q = (term ?? '').trim().toLowerCase()
  if (q === '') return [...items]
  const scored: Array<{ item: T; score: number; index: number }> = []
  items.forEach((item, index) => {
    const name = item.name.toLowerCase()
    const contiguous = name.indexOf(q)
    if (contiguous >= 0) return scored.push({ item, score: contiguous, index })
    let at = -1
    let first = -1
    for (const ch of q) {
      at = name.indexOf(ch, at + 1)
      if (at < 0) return
      if (first < 0) first = at
    }
    scored.push({ item, score: 1000 + (at - first) * 10 + first, index })
  })
  return scored.sort((a, b) => a.score - b.score || a.index - b.index).map((s) => s.item)
}

/**
 * The picker of `switch` with no NAME: a fuzzy search over ITEMS, drawn on stderr so that
 * `eval "$(cluster-manager switch --shell)"` still works. Only terminals load the prompt library.
 */
export async function pick(items: readonly PickItem[], io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream }): Promise<string> {
  const { default: search } = await import('@inquirer/search')
  const current = items.find((i) => i.current)
  try {
    return await search(
      {
        message: 'Switch to cluster (type to filter)',
        source: (term) =>
          fuzzyFilter(items, term).map((i) => ({
            value: i.name,
            name: `${i.name}${i.current ? ' (current)' : ''}${i.note ? ` [${i.note}]` : ''}`,
            short: i.name,
          })),
        pageSize: 12,
        ...(current ? { default: current.name } : {}),
      },
      { input: io.input, output: io.output, clearPromptOnDone: false },
    )
  } catch (err) {
    if (err instanceof Error && err.name === 'ExitPromptError') throw new InterruptedError('interrupted: no cluster switched')
    throw err
  }
}

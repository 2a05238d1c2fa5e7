/**
 * One step of a multi-step change. RUN either finishes or leaves nothing of itself behind
 * (it cleans up its own partial work before it throws); UNDO reverses a finished RUN.
 */
export interface Step<C> {
  readonly title: string
  /**
   * Runs at the same time as the step before it (neither needs what the other does): the two
   * begin together, and the next step waits for both. When one fails, the other still finishes
   * first (its undo is then recorded), so nothing runs on while the run unwinds.
   */
  readonly alongside?: boolean
  run(ctx: C): Promise<void>
  undo?(ctx: C): Promise<void>
}

export interface Unwound {
  undone: string[]
  failed: Array<{ title: string; error: unknown }>
}

/** A step failed or the signal fired: which step, why, the steps that had begun, and what the unwind did. */
export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly reason: unknown,
    readonly unwound: Unwound,
    /** Titles of the steps whose run had begun, the failed one last (none: stopped before the first). */
    readonly begun: string[] = [],
  ) {
    super(`${step}: ${reason instanceof Error ? reason.message : String(reason)}`)
    this.name = 'StepFailed'
  }
}

/**
 * Runs STEPS in order, like a transaction log (and k3d's own create rollback), `alongside`
 * steps together with the one before them: a step's undo is recorded only after that step
 * succeeded; the signal is checked before every step (and inside them: every child process and
 * wait takes it); on a failure or an abort the recorded undos run once each, newest first,
 * every one even if another fails. Undos get no signal: they must finish after an abort.
 */
export async function runSteps<C>(steps: ReadonlyArray<Step<C>>, ctx: C, signal: AbortSignal, beforeUnwind: () => void = () => undefined): Promise<void> {
  const done: Array<Step<C>> = []
  const begun: string[] = []
  let current = 'start'
  try {
    for (const stage of stagesOf(steps)) {
      current = stage[0]!.title
      signal.throwIfAborted()
      begun.push(...stage.map((s) => s.title))
      const results = await Promise.allSettled(stage.map(async (s) => s.run(ctx)))
      results.forEach((r, i) => r.status === 'fulfilled' && done.push(stage[i]!))
      const failed = results.findIndex((r) => r.status === 'rejected')
      if (failed >= 0) {
        current = stage[failed]!.title
        throw (results[failed] as PromiseRejectedResult).reason
      }
    }
  } catch (reason) {
    if (done.some((s) => s.undo)) beforeUnwind()
    throw new StepFailed(current, reason, await unwind(done.reverse(), ctx), begun)
  }
}

/** STEPS cut into what starts together: a step and every `alongside` step right after it. */
function stagesOf<C>(steps: ReadonlyArray<Step<C>>): Array<Array<Step<C>>> {
  const stages: Array<Array<Step<C>>> = []
  for (const step of steps) {
    const last = stages.at(-1)
    if (step.alongside && last) last.push(step)
    else stages.push([step])
  }
  return stages
}

async function unwind<C>(newestFirst: ReadonlyArray<Step<C>>, ctx: C): Promise<Unwound> {
  const result: Unwound = { undone: [], failed: [] }
  for (const step of newestFirst) {
    if (!step.undo) continue
    try {
      await step.undo(ctx)
      result.undone.push(step.title)
    } catch (error) {
      result.failed.push({ title: step.title, error })
    }
  }
  return result
}

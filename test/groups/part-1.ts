// Part 1 of the suite (test/helpers/group.ts).
import { runPart } from '../helpers/group.ts'

await runPart(1, 4)

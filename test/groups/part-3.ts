// Part 3 of the suite (test/helpers/group.ts).
import { runPart } from '../helpers/group.ts'

await runPart(3, 4)

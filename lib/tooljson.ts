import { OperationError } from './errors.ts'

/** A JSON object (not null, not an array). */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The objects of the JSON array a tool printed (`k3d cluster list -o json`, `docker image
 * inspect`...): empty output is `[]`, anything that is not an array is one error naming COMMAND,
 * and elements that are not objects are dropped, so no caller meets a null or a string.
 */
export function jsonRecords(text: string, command: string): Array<Record<string, unknown>> {
  let data: unknown
  try {
    data = JSON.parse(text.trim() || '[]')
  } catch {
    throw new OperationError(`${command} printed something that is not JSON`)
  }
  if (!Array.isArray(data)) throw new OperationError(`${command} did not print a JSON array`)
  return data.filter(isRecord)
}

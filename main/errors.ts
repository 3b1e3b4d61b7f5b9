import type { ErrorCode, ErrorDetails, LabErrorData } from '../preload/api'

/**
 * An error with a code and a message in plain words for the user. Anything main throws towards the
 * renderer or the CLI should be a LabError; other errors are reported as 'internal'.
 */
export class LabError extends Error {
  readonly code: ErrorCode
  readonly details?: ErrorDetails

  constructor(code: ErrorCode, message: string, details?: ErrorDetails) {
    super(message)
    this.name = 'LabError'
    this.code = code
    this.details = details
  }

  toData(): LabErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

/** Converts anything thrown into the structured error that crosses IPC. */
export function toErrorData(err: unknown): LabErrorData {
  if (err instanceof LabError) return err.toData()
  if (err instanceof Error && err.name === 'AbortError') return { code: 'cancelled', message: 'The task was cancelled.' }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'internal', message: `Unexpected error: ${message}` }
}

import type {
  Channel,
  ChannelArgs,
  ChannelResult,
  ErrorCode,
  ErrorDetails,
  LabEvent,
  LabEvents
} from '../../../../preload/api'

/** A failed call to main, with the structured error main sent. `message` is plain words. */
export class IpcError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetails
  ) {
    super(message)
    this.name = 'IpcError'
  }
}

/** Calls a main-process channel; resolves with its result or throws an IpcError. */
export async function call<C extends Channel>(channel: C, args: ChannelArgs<C>): Promise<ChannelResult<C>> {
  const result = await window.lab.invoke(channel, args)
  if (result.ok) return result.value
  throw new IpcError(result.error.code, result.error.message, result.error.details)
}

export function subscribe<E extends LabEvent>(event: E, listener: (payload: LabEvents[E]) => void): () => void {
  return window.lab.on(event, listener)
}

/** Plain words for anything thrown, for the notice bar. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}

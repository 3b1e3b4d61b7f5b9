import type { AppInfo, InferenceStatus } from '../../../../preload/api'
import { call, subscribe } from '../ipc/client'

/** App version and runtime facts for the status bar and Settings. */
export class AppStatus {
  #info = $state.raw<AppInfo | null>(null)
  #inference = $state.raw<InferenceStatus | null>(null)

  get info(): AppInfo | null {
    return this.#info
  }

  get inference(): InferenceStatus | null {
    return this.#inference
  }

  async load(): Promise<void> {
    const info = await call('app.info', {})
    this.#info = info
    this.#inference = info.inference
  }

  listen(): () => void {
    return subscribe('app.status', (status) => (this.#inference = status.inference))
  }
}

export const appStatus = new AppStatus()

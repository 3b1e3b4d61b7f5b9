import type { InferenceStatus, LabEvent, LabEvents } from '../../preload/api'

/** What every main-process feature module may use. Built once by main/index.ts (or by a test or the CLI). */
export interface AppContext {
  appName: string
  appVersion: string
  /** Where user data lives (settings, user models). Electron's userData, or a folder given by a test. */
  dataDir: string
  /** Shipped resources (resources/ in the repository, process.resourcesPath/resources when packaged). */
  resourcesDir: string
  /** Electron and Chrome versions when running inside Electron. */
  electronVersions: { electron: string; chrome: string } | null
  /** Pushes an event to the renderer (no-op in the CLI). */
  emit<E extends LabEvent>(event: E, payload: LabEvents[E]): void
  /** The model runtime's current state, for the status bar and `info`. */
  inferenceStatus(): InferenceStatus
}

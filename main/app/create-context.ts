import pkg from '../../package.json' with { type: 'json' }
import type { InferenceStatus } from '../../preload/api'
import type { AppContext } from './context'

export interface ContextOptions {
  dataDir: string
  resourcesDir: string
  emit?: AppContext['emit']
  electronVersions?: AppContext['electronVersions']
  inferenceStatus?: () => InferenceStatus
}

/** Before the model runtime is first used, onnxruntime is not loaded at all. */
export const notLoadedInference: InferenceStatus = {
  loaded: false,
  active: null,
  providers: [],
  threads: 0,
  onnxruntimeVersion: null
}

export function createAppContext(options: ContextOptions): AppContext {
  return {
    appName: 'Lightbox',
    appVersion: pkg.version,
    dataDir: options.dataDir,
    resourcesDir: options.resourcesDir,
    electronVersions: options.electronVersions ?? null,
    emit: options.emit ?? (() => {}),
    inferenceStatus: options.inferenceStatus ?? (() => notLoadedInference)
  }
}

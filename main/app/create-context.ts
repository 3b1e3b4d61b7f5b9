import pkg from '../../package.json' with { type: 'json' }
import type { InferenceStatus } from '../../preload/api'
import { runtimeFor } from '../ml/runtime'
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

/** Unless a test passes its own, the inference status is the context's model runtime's (main/ml/runtime). */
export function createAppContext(options: ContextOptions): AppContext {
  const ctx: AppContext = {
    appName: 'Lightbox',
    appVersion: pkg.version,
    dataDir: options.dataDir,
    resourcesDir: options.resourcesDir,
    electronVersions: options.electronVersions ?? null,
    emit: options.emit ?? (() => {}),
    inferenceStatus: options.inferenceStatus ?? (() => runtimeFor(ctx).status())
  }
  return ctx
}

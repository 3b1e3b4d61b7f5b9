/**
 * The app's one model runtime per AppContext: created on first use, reading the inference settings from
 * the data folder and pushing every status change to the renderer as an `app.status` event.
 */
import type { AppContext } from '../../app/context'
import { SettingsStore } from '../../settings/store'
import { ModelRuntime } from './runtime'

export { ModelRuntime, ModelSession, threadsFor } from './runtime'
export type { ModelSource, RuntimeSettings, SessionFactory, TensorData, ValueInfo } from './runtime'

const runtimes = new WeakMap<AppContext, ModelRuntime>()

export function runtimeFor(ctx: AppContext): ModelRuntime {
  let runtime = runtimes.get(ctx)
  if (!runtime) {
    runtime = new ModelRuntime({
      settings: () => new SettingsStore(ctx.dataDir).get(),
      onStatus: (inference) => ctx.emit('app.status', { inference })
    })
    runtimes.set(ctx, runtime)
  }
  return runtime
}

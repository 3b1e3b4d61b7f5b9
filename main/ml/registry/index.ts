/** The app's one model registry per AppContext, over the context's model runtime. */
import type { AppContext } from '../../app/context'
import { runtimeFor } from '../runtime'
import { ModelRegistry } from './registry'

export { ModelRegistry, modelId, parseManifest } from './registry'
export type { ImportRequest, ModelTask, RegisteredModel } from './registry'

const registries = new WeakMap<AppContext, ModelRegistry>()

export function registryFor(ctx: AppContext): ModelRegistry {
  let registry = registries.get(ctx)
  if (!registry) {
    registry = new ModelRegistry(ctx.dataDir, ctx.resourcesDir, runtimeFor(ctx))
    registries.set(ctx, registry)
  }
  return registry
}

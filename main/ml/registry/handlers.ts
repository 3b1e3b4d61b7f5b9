/** IPC handlers for the runtime's devices and the model registry (channels `inference.*`, `models.*`). */
import type { AppContext } from '../../app/context'
import type { Handlers } from '../../ipc/handlers'
import { runtimeFor } from '../runtime'
import { registryFor } from '.'

type ModelChannels = 'inference.probe' | 'models.list' | 'models.import' | 'models.promote' | 'models.rollback' | 'models.delete'

export function modelHandlers(ctx: AppContext): Pick<Handlers, ModelChannels> {
  const registry = registryFor(ctx)
  return {
    'inference.probe': () => runtimeFor(ctx).ready(),
    'models.list': () => registry.list(),
    'models.import': async (args) => {
      const model = await registry.import(args)
      return (await registry.list()).find((m) => m.id === model.id)!
    },
    'models.promote': async ({ id }) => {
      await registry.promote(id)
      return registry.list()
    },
    'models.rollback': async ({ slot }) => {
      await registry.rollback(slot)
      return registry.list()
    },
    'models.delete': async ({ id, replacement }) => {
      await registry.delete(id, replacement)
      return registry.list()
    }
  }
}

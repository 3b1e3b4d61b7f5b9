/** IPC handler `features.extract`: backbone features for encoded images (the renderer caches them in Dexie). */
import type { AppContext } from '../../app/context'
import { LabError } from '../../errors'
import type { Handlers } from '../../ipc/handlers'
import { registryFor } from '../registry'
import { extractFeatures } from './extract'

export function featureHandlers(ctx: AppContext): Pick<Handlers, 'features.extract'> {
  return {
    'features.extract': async ({ backbone, images, names }) => {
      const registry = registryFor(ctx)
      const id = backbone ?? (await registry.active('backbone'))?.id
      if (!id) throw new LabError('unavailable', 'There is no backbone model: run `npm run build` to convert the shipped one.')
      const { model, session } = await registry.session(id)
      const items = await extractFeatures(
        { id: model.id, manifest: model.manifest, session },
        images.map((bytes, i) => ({ bytes, name: names?.[i] ?? `image ${i + 1}` }))
      )
      return { backbone: model.id, items }
    }
  }
}

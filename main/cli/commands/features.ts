import path from 'node:path'
import { LabError } from '../../errors'
import { defineCommand } from '../command'

export const featuresCommand = defineCommand({
  name: 'features',
  summary: "Compute and cache backbone features for a dataset's images (file cache in the data folder)",
  usage: '<dataset-dir> [--backbone name@version] [--limit N] [--batch N]',
  options: { backbone: { type: 'string' }, limit: { type: 'string' }, batch: { type: 'string', default: '16' } },
  async run({ positionals, options }, ctx, io) {
    // Loaded on use, so that other commands start quickly.
    const [{ readManifest }, { extractFeatures }, { FileFeatureCache }, { registryFor }] = await Promise.all([
      import('../../datasets/manifest'),
      import('../../ml/features/extract'),
      import('../../ml/features/file-cache'),
      import('../../ml/registry')
    ])
    const [dir] = positionals
    if (!dir) throw new LabError('invalid_argument', 'Give the dataset folder (it must hold manifest.csv with a file column).')
    const manifest = await readManifest(dir, 'manifest.csv', ['file'])
    const limit = options['limit'] ? Number(options['limit']) : manifest.rows.length
    const registry = registryFor(ctx)
    const id = typeof options['backbone'] === 'string' ? options['backbone'] : (await registry.active('backbone'))?.id
    if (!id) throw new LabError('unavailable', 'There is no backbone model: run `npm run build` to convert the shipped one.')
    const { model, session } = await registry.session(id)
    const cache = new FileFeatureCache(ctx.dataDir)
    const files = manifest.rows.slice(0, limit).map((r) => ({ path: path.join(dir, r['file']) }))
    const started = performance.now()
    let cached = 0
    let last = 0
    const entries = await extractFeatures({ id: model.id, manifest: model.manifest, session }, files, {
      cache,
      batchSize: Number(options['batch']),
      onProgress: (done, total, fromCache) => {
        cached = fromCache
        if (done - last >= 64 || done === total) io.progress(`features ${done}/${total} (${fromCache} from the cache)`)
        last = done
      }
    })
    const seconds = (performance.now() - started) / 1000
    const computed = entries.length - cached
    return {
      backbone: model.id,
      images: entries.length,
      fromCache: cached,
      computed,
      seconds: Math.round(seconds * 100) / 100,
      imagesPerSecond: computed > 0 ? Math.round((computed / seconds) * 10) / 10 : null,
      outputs: Object.fromEntries(Object.entries(entries[0]?.outputs ?? {}).map(([k, v]) => [k, v.length])),
      cacheDir: cache.dir
    }
  }
})

import path from 'node:path'
import { LabError } from '../../errors'
import type { ColumnTask, HeadKind } from '../../ml/heads'
import { defineCommand } from '../command'

/** "pneumonia=findings:sigmoid:Pneumonia" or "view=view:softmax:PA,AP" */
export function parseTask(text: string): ColumnTask {
  const m = /^([A-Za-z][\w-]*)=([^:]+):(softmax|sigmoid):(.+)$/.exec(text)
  if (!m) throw new LabError('invalid_argument', `--task "${text}" is not name=column:softmax|sigmoid:label1,label2 (e.g. pneumonia=findings:sigmoid:Pneumonia).`)
  return { name: m[1], column: m[2], type: m[3] as ColumnTask['type'], labels: m[4].split(',').map((s) => s.trim()).filter(Boolean) }
}

export const headsCommand = defineCommand({
  name: 'heads',
  summary: 'Train a head (gnb, linear, mlp or auto) on cached backbone features of a dataset and register it',
  usage:
    'train <dataset-dir> --task name=column:softmax|sigmoid:labels [--task …] [--kind auto|gnb|linear|mlp] [--output block10|features] ' +
    '[--group patient] [--val 0.25] [--hidden 256] [--dropout 0.3] [--epochs 60] [--name n] [--version v] [--model-task xray-findings] [--promote]',
  options: {
    task: { type: 'string', multiple: true },
    kind: { type: 'string', default: 'auto' },
    output: { type: 'string', default: 'block10' },
    group: { type: 'string' },
    val: { type: 'string', default: '0.25' },
    hidden: { type: 'string', default: '256' },
    dropout: { type: 'string', default: '0.3' },
    epochs: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    name: { type: 'string' },
    version: { type: 'string' },
    'model-task': { type: 'string', default: 'classification' },
    promote: { type: 'boolean', default: false }
  },
  async run({ positionals, options }, ctx, io) {
    // Loaded on use, so that other commands start quickly.
    const [{ readManifest }, { extractFeatures }, { FileFeatureCache }, { headDataFor, headManifest, splitByGroup, targetsFromRows, trainHead }, { manifestSchema }, { registryFor }] =
      await Promise.all([
        import('../../datasets/manifest'),
        import('../../ml/features/extract'),
        import('../../ml/features/file-cache'),
        import('../../ml/heads'),
        import('../../ml/registry/manifest'),
        import('../../ml/registry')
      ])
    const [action, dir] = positionals
    if (action !== 'train' || !dir) throw new LabError('invalid_argument', 'Usage: heads train <dataset-dir> --task name=column:softmax|sigmoid:labels …')
    const opt = options as Record<string, string | boolean | string[] | undefined>
    const tasks = ((opt['task'] as string[] | undefined) ?? []).map(parseTask)
    if (tasks.length === 0) throw new LabError('invalid_argument', 'Give at least one --task, e.g. --task pneumonia=findings:sigmoid:Pneumonia')
    const kind = String(opt['kind']) as HeadKind | 'auto'
    if (!['auto', 'gnb', 'linear', 'mlp'].includes(kind)) throw new LabError('invalid_argument', `--kind must be auto, gnb, linear or mlp, not ${kind}.`)
    const modelTask = manifestSchema.shape.task.options.find((t) => t === opt['model-task'])
    if (!modelTask) throw new LabError('invalid_argument', `--model-task must be one of ${manifestSchema.shape.task.options.join(', ')}.`)

    const manifest = await readManifest(dir, 'manifest.csv', ['file', ...tasks.map((t) => t.column)])
    const registry = registryFor(ctx)
    const backbone = await registry.active('backbone')
    if (!backbone) throw new LabError('unavailable', 'There is no backbone model: run `npm run build` to convert the shipped one.')
    const { session } = await registry.session(backbone.id)

    const started = performance.now()
    let cached = 0
    const entries = await extractFeatures(
      { id: backbone.id, manifest: backbone.manifest, session },
      manifest.rows.map((r) => ({ path: path.join(dir, r['file']) })),
      { cache: new FileFeatureCache(ctx.dataDir), onProgress: (done, total, fromCache) => ((cached = fromCache), done % 64 === 0 || done === total ? io.progress(`features ${done}/${total}`) : undefined) }
    )
    const featureSeconds = (performance.now() - started) / 1000

    const targets = targetsFromRows(manifest.rows, tasks)
    const group = typeof opt['group'] === 'string' ? opt['group'] : manifest.columns.includes('patient') ? 'patient' : 'file'
    const split = splitByGroup(manifest.rows, group, Number(opt['val']), Number(opt['seed']))
    const trainSet = headDataFor(entries, String(opt['output']), targets, tasks, split.train)
    const valSet = headDataFor(entries, String(opt['output']), targets, tasks, split.val)
    io.progress(`training ${kind} on ${trainSet.count} images, validating on ${valSet.count} (split by ${group})`)
    const head = await trainHead(tasks, trainSet, valSet, {
      kind,
      epochs: Number(opt['epochs']),
      seed: Number(opt['seed']),
      mlp: { hidden: String(opt['hidden']).split(/[x×,]/).map(Number), dropout: Number(opt['dropout']) },
      onProgress: (message) => io.progress(message)
    })
    const name = typeof opt['name'] === 'string' ? opt['name'] : `${path.basename(path.resolve(dir))}-${tasks.map((t) => t.name).join('-')}-head`.toLowerCase()
    const version = typeof opt['version'] === 'string' ? opt['version'] : new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')
    const modelManifest = headManifest(head, {
      name,
      version,
      parent: null,
      task: modelTask,
      backbone: { name: backbone.manifest.name, version: backbone.manifest.version, output: String(opt['output']) },
      datasets: [
        { name: path.basename(path.resolve(dir)), samples: trainSet.count, split: 'train' },
        { name: path.basename(path.resolve(dir)), samples: valSet.count, split: `validation (by ${group})` }
      ]
    })
    const model = await registry.import({ fileName: 'model.onnx', model: head.onnx, manifest: JSON.stringify(modelManifest) })
    if (opt['promote']) await registry.promote(model.id)
    return {
      model: model.id,
      active: opt['promote'] === true,
      kind: head.kind,
      choice: head.choice?.reason ?? null,
      candidates: head.choice?.candidates.map((c) => ({ kind: c.kind, score: Math.round(c.score * 1000) / 1000 })) ?? null,
      metrics: modelManifest.metrics,
      trainCount: trainSet.count,
      valCount: valSet.count,
      featureSeconds: Math.round(featureSeconds * 10) / 10,
      featuresFromCache: cached,
      trainSeconds: Math.round(head.training.seconds * 100) / 100
    }
  }
})

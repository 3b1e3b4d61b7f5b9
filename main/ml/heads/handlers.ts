/** IPC handler `heads.train`: a head from cached features and labels, checked and stored by the registry. */
import type { AppContext } from '../../app/context'
import { LabError } from '../../errors'
import type { Handlers } from '../../ipc/handlers'
import { manifestSchema } from '../registry/manifest'
import { registryFor } from '../registry'
import { splitByGroup } from './dataset'
import { headManifest } from './manifest'
import type { HeadData, HeadTask } from './spec'
import { trainHead } from './train-head'

function subset(all: HeadData, tasks: HeadTask[], indices: number[]): HeadData {
  const { dim } = all
  const features = new Float32Array(indices.length * dim)
  indices.forEach((row, i) => features.set(all.features.subarray(row * dim, (row + 1) * dim), i * dim))
  const targets: HeadData['targets'] = {}
  for (const t of tasks) {
    const k = t.type === 'softmax' ? 1 : t.labels.length
    const src = all.targets[t.name]
    const out = t.type === 'softmax' ? new Int32Array(indices.length) : new Float32Array(indices.length * k)
    indices.forEach((row, i) => {
      for (let j = 0; j < k; j++) out[i * k + j] = src[row * k + j]
    })
    targets[t.name] = out
  }
  return { count: indices.length, dim, features, targets }
}

export function headHandlers(ctx: AppContext): Pick<Handlers, 'heads.train'> {
  return {
    'heads.train': async (args) => {
      const registry = registryFor(ctx)
      const modelTask = manifestSchema.shape.task.options.find((t) => t === args.modelTask)
      if (!modelTask) throw new LabError('invalid_argument', `There is no model task "${args.modelTask}".`)
      const backbone = await registry.get(args.backbone)
      if (!backbone.manifest.outputs.some((o) => o.name === args.output && o.kind === 'features')) {
        throw new LabError('invalid_argument', `${args.backbone} has no feature output "${args.output}".`)
      }
      const count = args.features.length / args.dim
      if (!Number.isInteger(count) || count < 4) throw new LabError('invalid_argument', `${args.features.length} feature values are not a whole number (≥ 4) of ${args.dim}-value vectors.`)
      if (args.groups && args.groups.length !== count) throw new LabError('invalid_argument', `${args.groups.length} groups for ${count} samples.`)
      const tasks: HeadTask[] = args.tasks
      const all: HeadData = { count, dim: args.dim, features: args.features, targets: args.targets }
      const rows = (args.groups ?? Array.from({ length: count }, (_, i) => String(i))).map((g) => ({ group: g }))
      const split = splitByGroup(rows, 'group', args.validationFraction)
      if (split.train.length === 0 || split.val.length === 0) throw new LabError('bad_input', 'Too few samples (or groups) to keep some for validation.')
      const progress = (message: string, fraction: number, state: 'running' | 'done' = 'running') =>
        args.taskId && ctx.emit('task.progress', { taskId: args.taskId, stage: 'train', done: Math.round(fraction * 100), total: 100, message, state })
      const head = await trainHead(tasks, subset(all, tasks, split.train), subset(all, tasks, split.val), {
        kind: args.kind,
        mlp: args.mlp,
        epochs: args.epochs,
        onProgress: (m, f) => progress(m, f)
      })
      const manifest = headManifest(head, {
        name: args.name,
        version: args.version,
        parent: args.parent,
        task: modelTask,
        backbone: { name: backbone.manifest.name, version: backbone.manifest.version, output: args.output },
        datasets: [
          { name: 'reviewed cases', samples: split.train.length, split: 'train' },
          { name: 'reviewed cases', samples: split.val.length, split: 'validation' }
        ]
      })
      const model = await registry.import({ fileName: `${args.name}.onnx`, model: head.onnx, manifest: JSON.stringify(manifest) })
      if (args.promote) await registry.promote(model.id)
      progress(head.choice?.reason ?? `${head.kind} head trained`, 1, 'done')
      return {
        model: (await registry.list()).find((m) => m.id === model.id)!,
        kind: head.kind,
        choice: head.choice?.reason ?? null,
        metrics: manifest.metrics,
        trainCount: split.train.length,
        valCount: split.val.length
      }
    }
  }
}

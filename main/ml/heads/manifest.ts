/** The manifest of a trained head: which backbone output it reads, what it answers, how it was trained. */
import { manifestSchema, type ModelManifest } from '../registry/manifest'
import type { TrainedHead } from './spec'

export interface HeadIdentity {
  name: string
  version: string
  /** `name@version` of the head this one replaces or continues, if any. */
  parent: string | null
  task: ModelManifest['task']
  backbone: { name: string; version: string; output: string }
  datasets: { name: string; samples: number; split?: string }[]
  description?: string
  created?: string
}

export function headManifest(head: TrainedHead, id: HeadIdentity): ModelManifest {
  const single = head.tasks.length === 1
  const finite = Object.fromEntries(Object.entries(head.metrics).filter(([, v]) => Number.isFinite(v)))
  const kindName = { gnb: 'Gaussian naive Bayes', linear: 'linear (single-layer perceptron)', mlp: 'MLP' }[head.kind]
  return manifestSchema.parse({
    schemaVersion: 1,
    name: id.name,
    version: id.version,
    parent: id.parent,
    task: id.task,
    description:
      id.description ??
      `${kindName} head on ${id.backbone.name}@${id.backbone.version} "${id.backbone.output}" features: ${head.tasks.map((t) => `${t.name} (${t.type}: ${t.labels.join(', ')})`).join('; ')}.`,
    labels: single ? head.tasks[0].labels : head.tasks.flatMap((t) => t.labels.map((l) => `${t.name}:${l}`)),
    inputs: [
      {
        name: 'features',
        shape: ['batch', head.dim],
        dtype: 'float32',
        layout: 'NC',
        features: { backbone: id.backbone.name, version: id.backbone.version, output: id.backbone.output }
      }
    ],
    outputs: head.tasks.map((t) => ({
      name: t.name,
      shape: ['batch', t.labels.length],
      dtype: 'float32',
      kind: 'probabilities',
      activation: t.type,
      labels: t.labels
    })),
    training: {
      datasets: id.datasets,
      epochs: head.training.epochs,
      seconds: Math.round(head.training.seconds * 100) / 100,
      hyperparameters: { kind: head.kind, trainCount: head.training.trainCount, valCount: head.training.valCount, ...head.training.hyperparameters },
      notes: head.choice?.reason
    },
    metrics: finite,
    created: id.created ?? new Date().toISOString()
  })
}

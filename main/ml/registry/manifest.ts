/**
 * A model is data described by its manifest (transformers.js style): what it does, what it expects and
 * produces, how it was trained and how well it did. Stored as `manifest.json` beside `model.onnx`.
 * Shipped models: resources/models/<name>/; user models: <dataDir>/models/<name>/<version>/.
 */
import { z } from 'zod'

export const manifestSchemaVersion = 1

export const tensorSpecSchema = z.object({
  /** The graph's input or output name. */
  name: z.string().min(1),
  /** Dimensions; a string names a symbolic dimension such as 'batch'. */
  shape: z.array(z.union([z.number().int().positive(), z.string().min(1)])),
  dtype: z.enum(['float32', 'float16', 'int64', 'int32', 'uint8', 'bool'])
})
export type TensorSpec = z.infer<typeof tensorSpecSchema>

export const inputSpecSchema = tensorSpecSchema.extend({
  /** Spatial size the image is resized to (absent for feature-vector inputs). */
  size: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }).optional(),
  channels: z.number().int().min(1).max(4).optional(),
  layout: z.enum(['NCHW', 'NHWC', 'NC']),
  /** value = (pixel / scale - mean) / std, per channel. */
  normalisation: z
    .object({
      scale: z.number().positive(),
      mean: z.array(z.number()),
      std: z.array(z.number().positive())
    })
    .optional(),
  /** For heads: the backbone whose features this input takes, and which of its outputs. */
  features: z.object({ backbone: z.string(), version: z.string(), output: z.string() }).optional()
})
export type InputSpec = z.infer<typeof inputSpecSchema>

export const outputSpecSchema = tensorSpecSchema.extend({
  kind: z.enum(['features', 'logits', 'probabilities', 'embedding', 'map']),
  /** How logits become scores. */
  activation: z.enum(['softmax', 'sigmoid', 'none']).optional(),
  /** Labels of this output's last dimension, when it has labels. */
  labels: z.array(z.string()).optional()
})
export type OutputSpec = z.infer<typeof outputSpecSchema>

export const modelTasks = ['backbone', 'chromosome-classification', 'xray-findings', 'xray-covid', 'autoencoder', 'classification', 'other'] as const
export type ModelTask = (typeof modelTasks)[number]

/** Tasks whose pipeline picks a model per kind of input; the others have one active model. */
export const taskVariants: Partial<Record<ModelTask, readonly string[]>> = {
  // The cell's stain picks the classifier (main/karyotype-ipc/classify.ts).
  'chromosome-classification': ['gband', 'qband']
}

/** What is wrong with a manifest's variant for its task, or null. */
export function variantProblem(m: { task: ModelTask; variant?: string }): string | null {
  const allowed = taskVariants[m.task]
  if (!allowed) return m.variant === undefined ? null : `variant: a ${m.task} model has no variant (it says "${m.variant}")`
  if (m.variant === undefined) return `variant: a ${m.task} model must say which it is (${allowed.join(' or ')})`
  return allowed.includes(m.variant) ? null : `variant: "${m.variant}" is not one of ${allowed.join(', ')}`
}

/** The registry's activation slot: the task, or task/variant where the task has variants. */
export function slotOf(m: { task: ModelTask; variant?: string }): string {
  return m.variant === undefined ? m.task : `${m.task}/${m.variant}`
}

export const manifestSchema = z.object({
  schemaVersion: z.literal(manifestSchemaVersion),
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ -'),
  /** Semantic version or a timestamped version; unique per name. */
  version: z.string().min(1),
  /** `name@version` of the model this one was trained from or on top of. */
  parent: z.string().nullable(),
  task: z.enum(modelTasks),
  /**
   * Which kind of input within the task the model is for, where a task has kinds (taskVariants): one
   * model per task and variant is active, e.g. a G-band and a Q-band chromosome classifier side by side.
   */
  variant: z.string().optional(),
  description: z.string().default(''),
  labels: z.array(z.string()).default([]),
  inputs: z.array(inputSpecSchema).min(1),
  outputs: z.array(outputSpecSchema).min(1),
  training: z
    .object({
      datasets: z.array(z.object({ name: z.string(), samples: z.number().int().nonnegative(), split: z.string().optional() })),
      epochs: z.number().int().nonnegative().optional(),
      seconds: z.number().nonnegative().optional(),
      hyperparameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
      /** Per-label counts in the training data. */
      classCounts: z.record(z.string(), z.number()).optional(),
      notes: z.string().optional()
    })
    .nullable(),
  /** Measured metrics, e.g. { "test.auc": 0.95 }. */
  metrics: z.record(z.string(), z.number()).default({}),
  licence: z.string().optional(),
  created: z.string().datetime(),
  /** SHA-256 of model.onnx, checked on load. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** For converted models: where the weights came from and what the build read to make the file. */
  source: z
    .object({
      /** e.g. 'npm:nsfwjs@4.4.0/dist/models/mobilenet_v2'. */
      origin: z.string().min(1),
      /** The script that converts it. */
      converter: z.string().optional(),
      /** SHA-256 over the source files and the converter: the build skips the conversion when unchanged. */
      inputsSha256: z.string().regex(/^[0-9a-f]{64}$/).optional()
    })
    .optional()
})
export type ModelManifest = z.infer<typeof manifestSchema>
export type ModelManifestInput = z.input<typeof manifestSchema>

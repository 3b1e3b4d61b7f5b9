/**
 * Evaluates the findings model on a labelled folder laid out like xray/nih (manifest.csv with file,
 * findings and, to choose a split, patient). Every image is decoded and run afresh (no feature cache),
 * so `seconds` is the real cost of reading the folder. `split: 'test'` keeps only the patients the
 * model's own split held out (the split is recorded in its manifest); 'all' (the default, for a folder
 * the model has never seen) keeps everything. Images that cannot be read are counted and named, not scored.
 */
import path from 'node:path'
import { LabError, toErrorData } from '../../errors'
import type { ModelRegistry } from '../../ml/registry'
import type { ModelRuntime } from '../../ml/runtime'
import { readXrayDataset, splitOf, type XraySplit } from '../findings/dataset'
import { XrayPipeline } from '../findings/pipeline'
import { findingsMetrics, type FindingsMetrics } from './metrics'

export type EvalSplit = XraySplit | 'all'
export const evalSplits: readonly EvalSplit[] = ['all', 'test', 'train']

export interface EvaluateOptions {
  split?: EvalSplit
  registry: ModelRegistry
  runtime: ModelRuntime
  /** A findings model folder instead of the active one. */
  model?: string
  /** Data folder for the site's thresholds (sensitivity/specificity are measured at those). */
  dataDir?: string
  limit?: number
  batchSize?: number
  /** Also write ROC, reliability and heatmap figures (PNG) into this folder. */
  figures?: string
  onProgress?: (done: number, total: number) => void
}

export interface XrayEvaluation extends FindingsMetrics {
  seconds: number
  dataset: string
  split: EvalSplit
  models: { findings: string; backbone: string }
  not_trained: string[]
  failed: { file: string; problem: string }[]
  figures?: string[]
}

export async function evaluateXrayFolder(dir: string, o: EvaluateOptions): Promise<XrayEvaluation> {
  const started = performance.now()
  const split = o.split ?? 'all'
  const dataset = await readXrayDataset(dir, { requirePatients: split !== 'all' })
  const pipeline = await XrayPipeline.open({ registry: o.registry, runtime: o.runtime, dataDir: o.dataDir, findingsModel: o.model, covidModel: null })
  const head = pipeline.findingsHead.info
  let records = dataset.records
  if (split !== 'all') {
    if (!head.split) throw new LabError('invalid_argument', `${head.model.id} does not record how it split its data, so --split ${split} cannot be chosen; use --split all.`)
    records = records.filter((r) => splitOf(r.patient, head.split!) === split)
  }
  if (o.limit !== undefined) records = records.slice(0, o.limit)
  if (records.length === 0) throw new LabError('bad_input', `No images of ${dir} are in the ${split} split.`)
  const failed: { file: string; problem: string }[] = []
  const scores = await pipeline.scoreSources(
    records.map((r) => ({ path: path.join(dir, r.file) })),
    { batchSize: o.batchSize, onProgress: o.onProgress, onError: (i, err) => failed.push({ file: records[i].file, problem: toErrorData(err).message }) }
  )
  const kept = records.filter((_, i) => scores[i] !== null)
  if (kept.length === 0) throw new LabError('bad_input', `None of the ${records.length} images of ${dir} could be read (first problem: ${failed[0]?.problem}).`)
  const thresholds = { ...head.thresholds, ...pipeline.thresholds().site }
  const keptScores = scores.filter((s) => s !== null)
  const metrics = findingsMetrics(kept, keptScores, head.findings, thresholds)
  const seconds = Math.round(((performance.now() - started) / 1000) * 100) / 100
  let figures: string[] | undefined
  if (o.figures) {
    const { writeFigures } = await import('./figures')
    figures = await writeFigures(o.figures, {
      pipeline,
      records: kept,
      sources: kept.map((r) => ({ path: path.join(dir, r.file) })),
      scores: keptScores,
      auc: metrics.auc,
      abnormalAuc: metrics.abnormal_auc,
      ece: metrics.ece,
      title: `${path.basename(path.resolve(dir))} ${split} (${kept.length} images)`
    })
  }
  return {
    ...metrics,
    seconds,
    dataset: path.resolve(dir),
    split,
    models: { findings: head.model.id, backbone: pipeline.backbone.id },
    not_trained: head.notTrained.map((n) => n.label),
    failed,
    ...(figures ? { figures } : {})
  }
}

/**
 * Trains a chromosome classifier on a dataset folder (chromosomes/gband or /qband layout) with the
 * project's training engine, exports it, and measures it on the test cells:
 *
 *   manifest → views of every crop (cached) → cells split train / validation / test by a hash of the
 *   cell id → train (upright + flipped samples, validation picks the best epoch) → model.onnx +
 *   manifest.json → test cells classified and dispatched → metrics into the manifest.
 *
 * Continuing from a parent model (`from`) keeps its views and architecture and starts from its weights:
 * the Q-band model starts from the G-band one (inverted Q-bands look like G-bands), which matters with
 * only ~80 training cases. Q-band crops have no known polarity, so that head is not trained on them.
 */
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { LabError } from '../../errors'
import { train, type TrainProgress, type Weights } from '../../ml/train'
import { buildInferenceGraph } from '../../ml/train/inference-graph'
import { summarise, type KaryotypeMetrics } from '../eval/metrics'
import { scoreCell } from '../eval/score-cell'
import type { Stain } from '../types'
import { ChromosomeClassifier } from './classify'
import { cellFingerprints, groupIndices, readChromosomeManifest, splitOf, type Split } from './dataset'
import { classifierNetwork, defaultArchitecture, defaultLossSettings, type ClassifierArchitecture } from './model'
import { classifierManifest, readClassifierModel, readModelWeights, writeClassifierModel } from './model-files'
import { buildSamples, tableFeatures } from './samples'
import { loadViewTable, measuresAt, type ViewTable } from './view-table'
import { defaultViewConfig, type ChromosomeViews, type ViewConfig } from './views'
import type { ModelManifest } from '../../ml/registry/manifest'

export interface TrainClassifierOptions {
  datasetDir: string
  /** Where model.onnx and manifest.json go. */
  outDir: string
  /** Model name; default chromosome-gband or chromosome-qband by the dataset's stain. */
  name?: string
  epochs?: number
  batchSize?: number
  learningRate?: number
  weightDecay?: number
  seed?: number
  /** Stop after this many epochs without a better validation accuracy. */
  patience?: number
  /** Weight of the polarity loss against the type loss (default 0.5). */
  polarityWeight?: number
  /** Folder for the view cache and the resumable checkpoint (null: no cache). */
  cacheDir: string | null
  /** A classifier model folder to start from (its views, architecture and weights). */
  from?: string
  /** Train on at most this many training cells (quick runs). */
  maxCells?: number
  threads?: number
  log?: (line: string) => void
  signal?: AbortSignal
}

export interface TrainClassifierResult {
  manifest: ModelManifest
  modelDir: string
  seconds: number
  trainSeconds: number
  test: KaryotypeMetrics
  validation: KaryotypeMetrics
}

function cellsBySplit(t: ViewTable): Record<Split, string[]> {
  const out: Record<Split, string[]> = { train: [], validation: [], test: [] }
  for (const group of groupIndices(t.records).keys()) out[splitOf(group)].push(group)
  return out
}

function majorityStain(t: ViewTable): Stain {
  const q = t.stains.filter((s) => s === 'Q').length
  const g = t.stains.filter((s) => s === 'G').length
  return q > g ? 'Q' : 'G'
}

/** The table's views of crop i as float views (for evaluation through the exported model). */
function viewsAt(t: ViewTable, i: number, measures: ChromosomeViews['measures']): ChromosomeViews {
  const g = t.config.global.width * t.config.global.height
  const l = t.config.local.width * t.config.local.height
  const f = (src: Uint8Array, n: number) => Float32Array.from(src.subarray(i * n, (i + 1) * n), (v) => v / 255)
  return { global: f(t.global, g), upper: f(t.upper, l), lower: f(t.lower, l), measures }
}

/** Scores the exported model on whole cells of the table (classification + dispatch). */
export async function evaluateTableCells(t: ViewTable, cells: string[], classifier: ChromosomeClassifier, upright: boolean): Promise<KaryotypeMetrics> {
  const groups = groupIndices(t.records)
  const outcomes = []
  for (const group of cells) {
    const idx = groups.get(group) ?? []
    outcomes.push(
      await scoreCell(
        {
          group,
          truth: idx.map((i) => t.records[i].type),
          views: idx.map((i) => (t.problems[i] === null ? viewsAt(t, i, measuresAt(t, i)) : null)),
          upright
        },
        classifier
      )
    )
  }
  return summarise(outcomes)
}

function versionNow(): string {
  const d = new Date()
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}.${p(d.getUTCMonth() + 1)}.${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}`
}

export async function trainChromosomeClassifier(o: TrainClassifierOptions): Promise<TrainClassifierResult> {
  const started = performance.now()
  const log = o.log ?? (() => {})
  const manifest = await readChromosomeManifest(o.datasetDir)
  const parent = o.from ? await readClassifierModel(o.from) : null
  const views: ViewConfig = parent?.settings.views ?? defaultViewConfig
  const architecture: ClassifierArchitecture = parent?.settings.architecture ?? defaultArchitecture

  log(`reading ${manifest.records.length} crops of ${o.datasetDir} (views are cached in ${o.cacheDir ?? 'memory only'})`)
  const table = await loadViewTable(manifest, views, o.cacheDir, (done, total) => log(`  normalised ${done}/${total} crops`))
  const failed = table.problems.filter((p) => p !== null).length
  if (failed > 0) log(`  ${failed} crops could not be normalised and are left out of training`)
  const stain = majorityStain(table)
  const split = cellsBySplit(table)
  const trainCells = o.maxCells ? split.train.slice(0, o.maxCells) : split.train
  if (trainCells.length === 0 || split.validation.length === 0) {
    throw new LabError('bad_input', `${o.datasetDir} has too few cells to split into training and validation (${groupIndices(table.records).size} cells).`)
  }
  const usable = (cells: string[]) => {
    const set = new Set(cells)
    return table.records.map((r, i) => i).filter((i) => set.has(table.records[i].group) && table.problems[i] === null)
  }
  const trainIdx = usable(trainCells)
  const valIdx = usable(split.validation)
  const upright = stain === 'G'
  log(`${stain}-banded; cells: ${trainCells.length} train, ${split.validation.length} validation, ${split.test.length} test (held out)`)

  const features = tableFeatures(table)
  const polarityWeight = o.polarityWeight ?? defaultLossSettings.polarityWeight
  const network = classifierNetwork(views, architecture, { ...defaultLossSettings, polarityWeight })
  const initialWeights: Weights | undefined = parent ? await readModelWeights(parent.modelFile, network) : undefined
  const settings = {
    epochs: o.epochs ?? 12,
    batchSize: o.batchSize ?? 64,
    learningRate: o.learningRate ?? (parent ? 1e-3 : 2e-3),
    weightDecay: o.weightDecay ?? 1e-4,
    seed: o.seed ?? 1,
    patience: o.patience ?? 4,
    polarityWeight
  }
  const runKey = createHash('sha256')
    .update(JSON.stringify({ settings, views, architecture, cells: trainCells, parent: parent?.manifest.sha256 ?? null, data: manifest.text.length }))
    .digest('hex')
    .slice(0, 16)
  const checkpoint = o.cacheDir ? { path: path.join(o.cacheDir, `train-${runKey}.ckpt`), resume: true } : undefined
  let lastLine = 0
  const result = await train({
    network,
    initialWeights,
    data: buildSamples(table, trainIdx, features, { flips: true, polarityKnown: upright, seed: settings.seed }),
    validation: { data: buildSamples(table, valIdx, features, { flips: true, polarityKnown: upright }) },
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    optimizer: { type: 'adamw', learningRate: settings.learningRate, weightDecay: settings.weightDecay, clipGradientNorm: 5 },
    // A warm-up epoch also when continuing: Adam's first steps (empty moment estimates) move every weight
    // by about the learning rate, which knocks a trained network back several points.
    schedule: { type: 'cosine', warmupEpochs: Math.min(1, settings.epochs - 1), minLearningRate: settings.learningRate * 0.02 },
    seed: settings.seed,
    monitor: 'type.accuracy',
    earlyStopping: { patience: settings.patience },
    checkpoint,
    threads: o.threads ?? os.availableParallelism(),
    signal: o.signal,
    progressIntervalMs: 30_000,
    onProgress: (p: TrainProgress) => {
      if (p.phase === 'train' && performance.now() - lastLine < 60_000) return
      lastLine = performance.now()
      const val = Number.isFinite(p.valMetric) ? `, best validation accuracy ${p.valMetric.toFixed(4)}` : ''
      log(`  ${p.phase} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.totalSteps}: loss ${p.loss.toFixed(4)}${val}, ${p.samplesPerSecond.toFixed(0)} samples/s, about ${Math.round(p.etaSeconds / 60)} min left`)
    }
  })
  for (const h of result.history) {
    log(`  epoch ${h.epoch}: train loss ${h.trainLoss.toFixed(4)}, validation type ${(h.val['type.accuracy'] ?? NaN).toFixed(4)}, polarity ${(h.val['polarity.accuracy'] ?? NaN).toFixed(4)} (${h.seconds.toFixed(0)} s)`)
  }

  // Export, then measure the exported model the way the app runs it.
  const name = o.name ?? (stain === 'G' ? 'chromosome-gband' : 'chromosome-qband')
  const onnxBytes = buildInferenceGraph(network, result.weights).graph.toModelBytes()
  const seen = await cellFingerprints(o.datasetDir, manifest.records, [...trainCells, ...split.validation])
  const facts = {
    name,
    version: versionNow(),
    parent: parent ? `${parent.manifest.name}@${parent.manifest.version}` : null,
    stain,
    views,
    architecture,
    datasets: [
      { name: path.basename(path.resolve(o.datasetDir)), samples: trainIdx.length, split: 'train' },
      { name: path.basename(path.resolve(o.datasetDir)), samples: valIdx.length, split: 'validation' }
    ],
    epochs: result.epochsRun,
    hyperparameters: {
      ...settings,
      bestEpoch: result.bestEpoch,
      trainCells: trainCells.length,
      validationCells: split.validation.length,
      testCells: split.test.length,
      split: 'sha256 of the cell id: 15% test, 10% validation, 75% train',
      trainSeconds: Math.round(result.seconds),
      samplesPerSecond: Math.round(result.samplesPerSecond)
    },
    classCounts: result.classCounts['type'],
    seenCells: [...seen.values()],
    notes: `Trained with \`npm run lightbox -- train-karyotype\` on ${os.cpus().length} CPU cores; upright and upside-down copies of every crop.` +
      (upright ? '' : ' Q-band crops have no known polarity: the polarity head was not trained on them.'),
    metrics: {} as Record<string, number>
  }
  await writeClassifierModel(o.outDir, onnxBytes, classifierManifest({ ...facts, seconds: (performance.now() - started) / 1000 }))

  log('measuring the exported model on the validation and test cells (classification + dispatch)')
  const classifier = await ChromosomeClassifier.load(o.outDir)
  const validation = await evaluateTableCells(table, split.validation, classifier, upright)
  const test = await evaluateTableCells(table, split.test, classifier, upright)
  const metrics: Record<string, number> = {}
  for (const [prefix, m] of [['validation', validation], ['test', test]] as const) {
    for (const [k, v] of Object.entries(m)) if (typeof v === 'number') metrics[`${prefix}.${k}`] = v
  }
  const seconds = (performance.now() - started) / 1000
  const written = await writeClassifierModel(o.outDir, onnxBytes, classifierManifest({ ...facts, metrics, seconds }))
  // The run is complete: its resumable checkpoint has served.
  if (checkpoint) await rm(checkpoint.path, { force: true })
  return { manifest: written, modelDir: o.outDir, seconds, trainSeconds: result.seconds, test, validation }
}

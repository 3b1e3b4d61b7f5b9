/**
 * A whole cell in one call: metaphase image → segmentation → normalisation → classification (the
 * stain's trained model) → dispatch (two of each autosome, XX or XY) → ISCN. Everything returned is
 * plain data (structured-clone and Dexie friendly), for the workspace's IPC channels, the CLI and the
 * benchmark.
 *
 *   analyseCell(pathOrBytes, options)          the whole cell
 *   classifySegmentation(image, seg, options)  calls for an existing (e.g. edited) segmentation; its
 *                                              { calls, classifier } fits the workspace's CellClassifier
 *
 * The model is chosen by the cell's stain (detected by segmentation, or given): resources/models/
 * chromosome-gband for G-banded cells, chromosome-qband for Q-banded ones, unless `models` names others.
 * Polarity: `pUp` is the probability that the chromosome as the engine's normalisation draws it
 * (straightened, shorter arm up as a first guess — the display images) has its p-arm up.
 */
import path from 'node:path'
import { sourceResourcesDir } from '../app/paths'
import { LabError } from '../errors'
import type { GreyRaster } from '../imaging/raster'
import type { ModelRuntime } from '../ml/runtime'
import { ChromosomeClassifier } from './classifier/classify'
import { cellFeatures, featureCount } from './classifier/features'
import { extractViews, nativeCanvas } from './classifier/views'
import { dispatchCell, type CellDispatch, type SexHypothesis } from './dispatch/dispatch'
import { iscnFromCounts } from './iscn/format'
import { normaliseCell } from './normalise/normalise'
import { readMetaphaseImage } from './segmentation/load'
import { segmentSpread } from './segmentation/segment'
import type { ChromosomeType, Segmentation, Stain } from './types'

export interface PipelineOptions {
  /** Classifier model folders by stain (default: the shipped ones under `resourcesDir`/models). */
  models?: Partial<Record<Stain, string>>
  /** Where the shipped models are (default: the repository's resources/). */
  resourcesDir?: string
  /** The app's model runtime (runtimeFor(ctx)); default: a CPU runtime. */
  runtime?: ModelRuntime
}

export interface ObjectCall {
  id: string
  /** Natural-log probabilities over 1–22, X, Y. */
  logProbs: number[]
  best: ChromosomeType
  confidence: number
  /** Probability that the normalised (display) image has the p-arm up. */
  pUp: number
  /** Length over the cell's total ×46 (1 = an average chromosome), and the centromere index (0–0.5). */
  relativeLength: number
  centromereIndex: number | null
}

export interface ClassifierInfo {
  /** `name@version` of the model. */
  id: string
  description: string
  kind: 'model'
}

export interface CellCalls {
  calls: ObjectCall[]
  classifier: ClassifierInfo
}

export interface CellKaryotype extends CellCalls {
  segmentation: Segmentation
  dispatch: CellDispatch
  /** The ISCN result of the dispatched counts, e.g. "46,XY" or "47,XX,+21". */
  karyotype: string
  sex: SexHypothesis
  /** Seconds per stage: decode, segment, normalise, classify, dispatch, total. */
  timings: Record<string, number>
  warnings: string[]
}

const classifiers = new Map<string, Promise<ChromosomeClassifier>>()

/** The classifier for a stain (loaded once per folder and runtime). */
export function classifierFor(stain: Stain, options: PipelineOptions = {}): Promise<ChromosomeClassifier> {
  const dir =
    options.models?.[stain] ??
    path.join(options.resourcesDir ?? sourceResourcesDir, 'models', stain === 'G' ? 'chromosome-gband' : 'chromosome-qband')
  const key = `${path.resolve(dir)}|${options.runtime ? 'app' : 'cpu'}`
  let pending = classifiers.get(key)
  if (!pending) {
    pending = ChromosomeClassifier.load(dir, options.runtime).then((c) => {
      if (c.stain !== stain) {
        throw new LabError('bad_input', `The classifier in ${dir} is for ${c.stain}-banded chromosomes, not ${stain}-banded ones.`)
      }
      return c
    })
    classifiers.set(key, pending)
    pending.catch(() => classifiers.delete(key))
  }
  return pending
}

const seconds = (t0: number) => Math.round(performance.now() - t0) / 1000

/** Classifies every object of a segmentation with the model for its stain. */
export async function classifySegmentation(image: GreyRaster<Uint8Array>, seg: Segmentation, options: PipelineOptions = {}): Promise<CellCalls> {
  const classifier = await classifierFor(seg.stain, options)
  const m = classifier.model.manifest
  const info: ClassifierInfo = { id: `${m.name}@${m.version}`, description: m.description, kind: 'model' }
  if (seg.objects.length === 0) return { calls: [], classifier: info }
  const normalised = await normaliseCell(image, seg, { size: nativeCanvas, scale: 1, polarity: 'auto' })
  const views = normalised.map((n) => extractViews(n, classifier.views))
  const features = cellFeatures(views.map((v) => v.measures))
  const results = await classifier.classify(views, features)
  const calls = results.map((r, i): ObjectCall => ({
    id: seg.objects[i].id,
    logProbs: r.logProbs,
    best: r.type,
    confidence: r.confidence,
    pUp: 1 - r.pArmDown,
    relativeLength: features[i * featureCount],
    centromereIndex: views[i].measures.centromereIndex
  }))
  return { calls, classifier: info }
}

/** Reads, segments, classifies and dispatches one metaphase image (a path or its bytes). */
export async function analyseCell(
  source: string | Uint8Array,
  options: PipelineOptions & { name?: string; stain?: Stain | 'auto' } = {}
): Promise<CellKaryotype> {
  const started = performance.now()
  const timings: Record<string, number> = {}
  let t = performance.now()
  const read = await readMetaphaseImage(source, options.name)
  timings['decode'] = seconds(t)
  t = performance.now()
  const seg0 = await segmentSpread(read.image, { stain: options.stain ?? 'auto' })
  const segmentation: Segmentation = { ...seg0, pixelScale: read.pixelScale, warnings: [...read.warnings, ...seg0.warnings] }
  timings['segment'] = seconds(t)
  t = performance.now()
  const { calls, classifier } = await classifySegmentation(read.image, segmentation, options)
  timings['classify'] = seconds(t)
  t = performance.now()
  const dispatch = dispatchCell(
    calls.map((c) => c.logProbs),
    { ids: calls.map((c) => c.id) }
  )
  timings['dispatch'] = seconds(t)
  timings['total'] = seconds(started)
  const warnings = [...segmentation.warnings, ...dispatch.deviations.map((d) => d.message)]
  return {
    segmentation,
    calls,
    classifier,
    dispatch,
    karyotype: iscnFromCounts(dispatch.counts),
    sex: dispatch.sex,
    timings,
    warnings
  }
}

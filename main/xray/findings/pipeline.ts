/**
 * The X-ray findings pipeline: decode → model input → feature network (the backbone cut at block 10,
 * multi-scale pooled, mirror-averaged) → heads → calibrated scores, thresholds, "not trained" findings
 * and, on request, Grad-CAM heatmaps on the display image. A thin layer over the model runtime: the
 * heads and the backbone are registry models, described by their manifests.
 *
 *   const pipeline = await XrayPipeline.open({ registry, runtime, dataDir })
 *   const [result] = await pipeline.findings([{ bytes, name }])
 *   const maps = await pipeline.heatmaps({ bytes, name }, { labels: ['Pneumonia'] })
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { XrayFindings, XrayHeatmaps, XrayScore } from '../../../preload/api'
import { LabError } from '../../errors'
import type { GreyRaster } from '../../imaging/raster'
import type { ModelRegistry, RegisteredModel } from '../../ml/registry'
import type { ModelRuntime, ModelSession } from '../../ml/runtime'
import { readSiteThresholds } from '../calibration/site'
import { gradCam } from '../heatmap/grad-cam'
import { decodeXray } from '../decode'
import { inputGeometry, modelInput } from '../preprocess/model-input'
import { presentationImage } from '../preprocess/present'
import { shrinkToFit } from '../preprocess/display'
import { abnormalLabel } from './dataset'
import { preparedBatches } from '../prepare/batches'
import { preparePool, type PreparePool } from '../prepare/prepare-pool'
import { loadFeatureNetwork, runFeatureNetwork, sourceName, type FeatureSource, type XrayFeatureNetwork } from './features'
import { covidHead, findingsHead, modelFromDir, sameFeatures, type CovidHeadInfo, type FindingsHeadInfo } from './model-files'

export interface OpenOptions {
  registry: ModelRegistry
  runtime: ModelRuntime
  /** The data folder, for the site's threshold overrides (none when absent). */
  dataDir?: string
  /** Model folders to use instead of the registry's active heads. */
  findingsModel?: string
  covidModel?: string | null
  /** Where model inputs are prepared (default: the process's pool of worker threads). */
  preparePool?: PreparePool
}

export const covidCaveat =
  'Research use only. Each class was learned from a different source (COVID-19: CLAHE-processed images from one hospital; ' +
  'pneumonia and normal: other hospitals, partly paediatric 28-pixel images): the head can recognise the source rather than the disease. See its model card.'

interface LoadedHead<I> {
  info: I
  session: ModelSession
}

/** Per image: every output of the findings head and the COVID head (probabilities, row-major). */
export interface RawScores {
  findings: Float32Array | null
  abnormal: number
  covid: Float32Array | null
}

export class XrayPipeline {
  private constructor(
    readonly features: XrayFeatureNetwork,
    readonly findingsHead: LoadedHead<FindingsHeadInfo>,
    readonly covid: (LoadedHead<CovidHeadInfo> & { features: XrayFeatureNetwork }) | null,
    readonly backbone: RegisteredModel,
    private readonly siteThresholds: Record<string, number>,
    readonly preparePool: PreparePool
  ) {}

  static async open(o: OpenOptions): Promise<XrayPipeline> {
    const findingsModel = o.findingsModel ? await modelFromDir(o.findingsModel) : await o.registry.active('xray-findings')
    if (!findingsModel) throw new LabError('unavailable', 'No X-ray findings model is installed (resources/models/xray-findings): run `npm run lightbox -- train-xray`.')
    const info = findingsHead(findingsModel)
    const backbone = await o.registry.get(`${info.featureSpec.backbone}@${info.featureSpec.version}`)
    const features = await loadFeatureNetwork(o.runtime, backbone, info.featureSpec)
    const session = await headSession(o, findingsModel, Boolean(o.findingsModel))
    let covid: (LoadedHead<CovidHeadInfo> & { features: XrayFeatureNetwork }) | null = null
    const covidModel = o.covidModel === null ? null : o.covidModel ? await modelFromDir(o.covidModel) : await o.registry.active('xray-covid')
    if (covidModel) {
      const c = covidHead(covidModel)
      const net = sameFeatures(c.featureSpec, info.featureSpec) ? features : await loadFeatureNetwork(o.runtime, await o.registry.get(`${c.featureSpec.backbone}@${c.featureSpec.version}`), c.featureSpec)
      covid = { info: c, session: await headSession(o, covidModel, Boolean(o.covidModel)), features: net }
    }
    const site = o.dataDir ? await readSiteThresholds(o.dataDir) : {}
    return new XrayPipeline(features, { info, session }, covid, backbone, site, o.preparePool ?? preparePool())
  }

  /** Thresholds in force: the model's, replaced label by label by the site's. */
  thresholds(): { model: Record<string, number>; site: Record<string, number> } {
    const known = new Set(Object.keys(this.findingsHead.info.thresholds))
    return { model: { ...this.findingsHead.info.thresholds }, site: Object.fromEntries(Object.entries(this.siteThresholds).filter(([k]) => known.has(k))) }
  }

  /** Head outputs for feature vectors (as `features` computes them). */
  async scoreFeatures(vectors: Float32Array[], covidVectors: Float32Array[] = vectors): Promise<RawScores[]> {
    if (vectors.length === 0) return []
    const dim = this.features.dim
    const batch = new Float32Array(vectors.length * dim)
    vectors.forEach((v, i) => batch.set(v, i * dim))
    const head = this.findingsHead
    const fetch = [...(head.info.findings.length ? ['findings'] : []), 'abnormal']
    const out = await head.session.run({ features: { dtype: 'float32', data: batch, dims: [vectors.length, dim] } }, fetch)
    let covid: Float32Array | null = null
    if (this.covid) {
      const cdim = this.covid.features.dim
      const cb = new Float32Array(covidVectors.length * cdim)
      covidVectors.forEach((v, i) => cb.set(v, i * cdim))
      covid = (await this.covid.session.run({ features: { dtype: 'float32', data: cb, dims: [covidVectors.length, cdim] } }, ['covid']))['covid'].data as Float32Array
    }
    const k = head.info.findings.length
    const c = this.covid?.info.classes.length ?? 0
    return vectors.map((_, i) => ({
      findings: k ? (out['findings'].data as Float32Array).slice(i * k, (i + 1) * k) : null,
      abnormal: (out['abnormal'].data as Float32Array)[i],
      covid: covid ? covid.slice(i * c, (i + 1) * c) : null
    }))
  }

  /**
   * Raw scores for images, run in batches; the next batches are decoded and resized on the preparation
   * workers (prepare/prepare-pool.ts) while this one runs.
   * A file that cannot be decoded throws, unless `onError` is given: then it is reported there and its
   * entry is null.
   */
  async scoreSources(
    sources: FeatureSource[],
    o: { batchSize?: number; onProgress?: (done: number, total: number) => void; onError?: (index: number, error: unknown) => void; signal?: AbortSignal } = {}
  ): Promise<(RawScores | null)[]> {
    const out: (RawScores | null)[] = []
    for await (const batch of preparedBatches(sources, this.features.input, o.batchSize ?? 8, this.preparePool)) {
      if (o.signal?.aborted) throw new LabError('cancelled', 'The X-ray analysis was cancelled.')
      for (const f of batch.failed) {
        if (!o.onError) throw f.error
        o.onError(batch.start + f.index, f.error)
      }
      const scores = batch.ok.length ? await this.runBatch(batch.data as Float32Array, batch.ok.length) : []
      const row: (RawScores | null)[] = new Array(batch.size).fill(null)
      batch.ok.forEach((k, n) => (row[k] = scores[n]))
      out.push(...row)
      o.onProgress?.(out.length, sources.length)
    }
    return out
  }

  /** Scores for a batch of prepared model inputs (count × C×H×W). */
  async runBatch(batch: Float32Array, count: number): Promise<RawScores[]> {
    const { features } = await runFeatureNetwork(this.features, batch, count)
    const covidFeatures = this.covid && this.covid.features !== this.features ? (await runFeatureNetwork(this.covid.features, batch, count)).features : features
    return this.scoreFeatures(features, covidFeatures)
  }

  /** Scores in words: flags against the thresholds in force, not-trained findings, the COVID head with its caveat. */
  describe(name: string, raw: RawScores, warnings: string[] = []): XrayFindings {
    const info = this.findingsHead.info
    const score = (label: string, value: number): XrayScore => {
      const site = this.siteThresholds[label]
      const threshold = site ?? info.thresholds[label] ?? 0.5
      return { label, score: value, threshold, thresholdSource: site !== undefined ? 'site' : 'model', flagged: value >= threshold }
    }
    const covid = this.covid && raw.covid
      ? (() => {
          const probabilities = this.covid.info.classes.map((label, i) => ({ label, probability: raw.covid![i] }))
          const top = probabilities.reduce((a, b) => (b.probability > a.probability ? b : a)).label
          return { model: this.covid.info.model.id, probabilities, top, caveat: covidCaveat }
        })()
      : null
    return {
      name,
      findings: info.findings.map((label, i) => score(label, raw.findings![i])),
      notTrained: info.notTrained,
      abnormal: score(abnormalLabel, raw.abnormal),
      covid,
      models: { findings: info.model.id, backbone: this.backbone.id },
      warnings
    }
  }

  /** Findings for each image (decode errors are thrown as LabErrors naming the file). */
  async findings(sources: FeatureSource[]): Promise<XrayFindings[]> {
    const raw = await this.scoreSources(sources)
    return raw.map((r, i) => this.describe(sourceName(sources[i]), r!))
  }

  /**
   * Grad-CAM heatmaps of one image for `labels` (default: every trained finding and the abnormality
   * score), on the display image of long side `maxSide` (as the viewer shows it).
   */
  async heatmaps(source: { bytes: Uint8Array; name: string } | { raster: GreyRaster<Uint8Array>; name: string }, o: { labels?: string[]; maxSide?: number } = {}): Promise<XrayHeatmaps> {
    const started = performance.now()
    const info = this.findingsHead.info
    const known = [...info.findings, abnormalLabel]
    const labels = o.labels ?? known
    for (const label of labels) {
      if (!known.includes(label)) {
        const why = info.notTrained.find((n) => n.label === label)
        throw new LabError('invalid_argument', why ? `${label} has no heatmap: it is ${why.reason}.` : `There is no finding "${label}" (known: ${known.join(', ')}).`)
      }
    }
    let raster: GreyRaster<Uint8Array>
    let voi
    if ('raster' in source) raster = source.raster
    else ({ raster, voi } = presentationImage(await decodeXray(source.bytes, { name: source.name })))
    const display = voi ? await shrinkToFit(raster, voi, o.maxSide) : { raster, scale: Math.min(1, (o.maxSide ?? 2048) / Math.max(raster.width, raster.height)) }
    const input = await modelInput(raster, this.features.input)
    const { features, maps } = await runFeatureNetwork(this.features, input.data as Float32Array, 1, true)
    const hasReference = info.model.manifest.outputs.some((x) => x.name === 'features.mean')
    const fetch = [...(info.findings.length ? ['findings', 'findings.gradient'] : []), 'abnormal', 'abnormal.gradient', ...(hasReference ? ['features.mean'] : [])]
    const out = await this.findingsHead.session.run({ features: { dtype: 'float32', data: features[0], dims: [1, this.features.dim] } }, fetch)
    const g = inputGeometry(this.features.input)
    const heatmaps = labels.map((label) => {
      const isAbnormal = label === abnormalLabel
      const j = isAbnormal ? 0 : info.findings.indexOf(label)
      const gradient = (out[isAbnormal ? 'abnormal.gradient' : 'findings.gradient'].data as Float32Array).subarray(j * this.features.dim, (j + 1) * this.features.dim)
      const score = (out[isAbnormal ? 'abnormal' : 'findings'].data as Float32Array)[j]
      const cam = gradCam(this.features.taps, maps, gradient, { flip: this.features.spec.flip, reference: hasReference ? (out['features.mean'].data as Float32Array) : null })
      // The grid covers the whole model input; map the input's frame back onto the display image.
      const { source: src, target } = input.region
      const sx = src.width / target.width
      const sy = src.height / target.height
      const x0 = (0 - target.x) * sx + src.x
      const y0 = (0 - target.y) * sy + src.y
      const s = display.scale
      return {
        label,
        score,
        method: 'grad-cam' as const,
        width: cam.width,
        height: cam.height,
        values: cam.values,
        region: { x: x0 * s, y: y0 * s, width: g.width * sx * s, height: g.height * sy * s }
      }
    })
    return { display: { width: Math.round(raster.width * display.scale), height: Math.round(raster.height * display.scale) }, heatmaps, seconds: (performance.now() - started) / 1000 }
  }
}

/** A head's session: through the registry (which checks the file once), or from a folder after checking its SHA-256. */
async function headSession(o: OpenOptions, model: RegisteredModel, fromDir: boolean): Promise<ModelSession> {
  if (!fromDir) return (await o.registry.session(model.id)).session
  let bytes: Uint8Array
  try {
    bytes = await readFile(model.modelFile)
  } catch {
    throw new LabError('not_found', `${model.modelFile} is missing: a model folder needs model.onnx beside manifest.json.`, { file: model.modelFile })
  }
  if (model.manifest.sha256 && createHash('sha256').update(bytes).digest('hex') !== model.manifest.sha256) {
    throw new LabError('bad_input', `${model.modelFile} is not the file its manifest describes (SHA-256 differs).`, { file: model.modelFile })
  }
  return o.runtime.session({ bytes, key: `${model.modelFile}#${model.manifest.sha256 ?? ''}` })
}

/**
 * Running a trained chromosome classifier: views and cell-relative features of a cell's chromosomes in,
 * per chromosome the 24 type log-probabilities (for dispatch) and the probability that it is upside down
 * (p-arm at the bottom of its views) out.
 *
 * Each chromosome is classified as it is, turned upside down, and (by default) mirrored left–right
 * (test-time augmentation): the type probabilities are averaged, and the polarity answers are combined
 * (p(down) of an upside-down copy is 1 − p(down) of the original), so the answer does not depend on which
 * way up normalisation happened to put it.
 */
import { LabError } from '../../errors'
import { ModelRuntime, type ModelSession } from '../../ml/runtime'
import { chromosomeTypes, type ChromosomeType } from '../types'
import { featureCount, flipFeatures } from './features'
import { inputNames, outputNames } from './model'
import { readClassifierModel, type ClassifierModelFiles } from './model-files'
import { flipViews, mirrorColumns, type ChromosomeViews } from './views'

export interface ChromosomeCall {
  /** Natural-log probabilities of the 24 types (1–22, X, Y), for dispatch. */
  logProbs: number[]
  /** The classifier's own best type and its probability. */
  type: ChromosomeType
  confidence: number
  /** Probability that the chromosome is upside down in its views (p-arm at the bottom). */
  pArmDown: number
}

export interface ClassifyOptions {
  /** Also average over the left–right mirror images (4 passes instead of 2; default true: fewer errors on validation cells). */
  mirror?: boolean
}

/**
 * Used when no runtime is passed (training, benchmarks, tests): the CPU, where the figures in the README
 * were measured. The app passes its own (runtimeFor(ctx)), which follows the user's device setting.
 */
let defaultRuntime: ModelRuntime | null = null
function cpuRuntime(): ModelRuntime {
  return (defaultRuntime ??= new ModelRuntime({ settings: async () => ({ preferredDevice: 'cpu', inferenceThreads: 0 }) }))
}

export class ChromosomeClassifier {
  private constructor(
    readonly model: ClassifierModelFiles,
    private readonly session: ModelSession
  ) {}

  static async load(dir: string, runtime?: ModelRuntime): Promise<ChromosomeClassifier> {
    const model = await readClassifierModel(dir)
    const rt = runtime ?? cpuRuntime()
    const session = await rt.session({ path: model.modelFile })
    return new ChromosomeClassifier(model, session)
  }

  get stain() {
    return this.model.settings.stain
  }

  get views() {
    return this.model.settings.views
  }

  /** Raw network outputs for a batch of view sets: type probabilities [n×24] and p(down) [n]. */
  async run(views: ChromosomeViews[], features: Float32Array): Promise<{ type: Float32Array; polarity: Float32Array }> {
    const n = views.length
    if (features.length !== n * featureCount) {
      throw new LabError('invalid_argument', `Expected ${featureCount} features for each of ${n} chromosomes, got ${features.length} values.`)
    }
    if (n === 0) return { type: new Float32Array(0), polarity: new Float32Array(0) }
    const { global: G, local: L } = this.views
    const stack = (pick: (v: ChromosomeViews) => Float32Array, size: number) => {
      const out = new Float32Array(n * size)
      views.forEach((v, i) => {
        const d = pick(v)
        if (d.length !== size) throw new LabError('invalid_argument', `A view has ${d.length} pixels; this model takes ${size}.`)
        out.set(d, i * size)
      })
      return out
    }
    const out = await this.session.run({
      [inputNames.global]: { dtype: 'float32', data: stack((v) => v.global, G.width * G.height), dims: [n, 1, G.height, G.width] },
      [inputNames.upper]: { dtype: 'float32', data: stack((v) => v.upper, L.width * L.height), dims: [n, 1, L.height, L.width] },
      [inputNames.lower]: { dtype: 'float32', data: stack((v) => v.lower, L.width * L.height), dims: [n, 1, L.height, L.width] },
      [inputNames.features]: { dtype: 'float32', data: features, dims: [n, featureCount] }
    })
    return { type: out[outputNames.type].data as Float32Array, polarity: out[outputNames.polarity].data as Float32Array }
  }

  /** Classifies the chromosomes of one cell (features from cellFeatures over the same cell). */
  async classify(views: ChromosomeViews[], features: Float32Array, options: ClassifyOptions = {}): Promise<ChromosomeCall[]> {
    const n = views.length
    if (features.length !== n * featureCount) {
      throw new LabError('invalid_argument', `Expected ${featureCount} features for each of ${n} chromosomes, got ${features.length} values.`)
    }
    const { global: G, local: L } = this.views
    const flippedFeatures = new Float32Array(features.length)
    for (let i = 0; i < n; i++) flippedFeatures.set(flipFeatures(features.subarray(i * featureCount, (i + 1) * featureCount)), i * featureCount)
    const mirrored = (v: ChromosomeViews): ChromosomeViews => ({
      ...v,
      global: mirrorColumns(v.global, G.width, G.height, new Float32Array(v.global.length)),
      upper: mirrorColumns(v.upper, L.width, L.height, new Float32Array(v.upper.length)),
      lower: mirrorColumns(v.lower, L.width, L.height, new Float32Array(v.lower.length))
    })
    const upright = options.mirror === false ? views : [...views, ...views.map(mirrored)]
    const flipped = upright.map((v) => flipViews(v, this.views))
    const passes = upright.length / n
    const repeat = (f: Float32Array) => {
      const r = new Float32Array(f.length * passes)
      for (let k = 0; k < passes; k++) r.set(f, k * f.length)
      return r
    }
    const allViews = [...upright, ...flipped]
    const allFeatures = new Float32Array(allViews.length * featureCount)
    allFeatures.set(repeat(features), 0)
    allFeatures.set(repeat(flippedFeatures), upright.length * featureCount)
    const { type, polarity } = await this.run(allViews, allFeatures)
    const T = chromosomeTypes.length
    const copies = 2 * passes
    return views.map((_, i) => {
      const probs = new Array<number>(T).fill(0)
      let down = 0
      for (let k = 0; k < copies; k++) {
        const row = k * n + i
        for (let t = 0; t < T; t++) probs[t] += type[row * T + t] / copies
        // The second half are the flipped copies: their "down" is this chromosome's "up".
        down += (k < passes ? polarity[row] : 1 - polarity[row]) / copies
      }
      let best = 0
      for (let t = 1; t < T; t++) if (probs[t] > probs[best]) best = t
      return {
        logProbs: probs.map((p) => Math.log(Math.max(p, 1e-30))),
        type: chromosomeTypes[best],
        confidence: probs[best],
        pArmDown: down
      }
    })
  }
}

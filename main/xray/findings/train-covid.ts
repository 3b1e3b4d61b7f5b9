/**
 * The three-class COVID-19 / viral pneumonia / normal head (after the reproductive-feature framework's
 * task), from the sets at hand — each class from different sources:
 *   COVID-19         xray/hannover-covid: one hospital (Hannover Medical School), CLAHE-processed by the
 *                    source, 640 px wide, several images per patient;
 *   viral pneumonia  NIH "Pneumonia" (adults, NIH Clinical Center) and PneumoniaMNIST pneumonia
 *                    (Kermany et al.: children aged 1–5, Guangzhou, 28×28; bacterial and viral mixed);
 *   normal           NIH "No Finding" and PneumoniaMNIST normal.
 * Hence the model card's source confound: a classifier can tell the classes apart by hospital, age group
 * and processing rather than by disease. `trainXrayCovid` measures that: a classifier of the source
 * alone on the same features, a classifier that sees only the grey-level histogram (no anatomy), and
 * pneumonia-vs-normal heads carried from one source to the other.
 *
 * Splits: hannover by patient (hash, 20% test, a fifth of the rest for validation); NIH by the findings
 * split (test patients stay test; fold 0 of the rest validates); PneumoniaMNIST by its official splits
 * (class-balanced subsets of train and validation, the whole official test set).
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { readNpz } from '../../datasets/npz'
import { LabError } from '../../errors'
import { createGrey, type GreyRaster } from '../../imaging/raster'
import type { ExportedModel } from '../../ml/export'
import type { HeadData, HeadTask } from '../../ml/heads'
import { trainNetworkHead } from '../../ml/heads/network'
import { predict, rocAuc } from '../../ml/train'
import { expectedCalibrationError, fitTemperature } from '../calibration'
import { defaultSplit, foldOf, readXrayDataset, splitOf, type SplitSpec } from './dataset'
import { specToHyperparameters } from './feature-network'
import { computeFeatures, sourceRaster, type FeatureSource } from './features'
import { ensembleNetwork, exportHeadWithGradients } from './head-graph'
import { xrayFeatureNetwork, type TrainXrayOptions } from './train-xray'

export const covidClasses = ['COVID-19', 'viral pneumonia', 'normal'] as const
const sources = ['hannover-covid', 'nih', 'pneumoniamnist'] as const
type Source = (typeof sources)[number]
type Part = 'train' | 'val' | 'test'

interface Sample {
  source: FeatureSource
  origin: Source
  label: number
  part: Part
}

export interface CovidReport {
  samples: Record<Part, Record<Source, number[]>>
  test: {
    images: number
    accuracy: number
    accuracy_by_source: Record<string, number>
    auc: Record<string, number>
    ece: number
    confusion: { actual: string; predicted: Record<string, number> }[]
  }
  validation_accuracy: number
  temperature: number
  confound: {
    /** Accuracy of telling the source (hospital/dataset) apart from the same features. */
    source_only_accuracy: number
    /** Three-class accuracy from a 32-bin grey-level histogram alone (no anatomy). */
    histogram_only_accuracy: number
    /** Accuracy of always answering the test set's most common class, for scale. */
    majority_class_accuracy: number
    /** Pneumonia vs normal: AUC within a source, and carried to the other source. */
    pneumonia_auc: { nih_to_nih: number; pneumoniamnist_to_pneumoniamnist: number; pneumoniamnist_to_nih: number; nih_to_pneumoniamnist: number }
  }
}

export interface TrainedCovid {
  model: ExportedModel
  report: CovidReport
}

function unit(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32
}

async function hannoverSamples(dir: string, split: SplitSpec): Promise<Sample[]> {
  const file = path.join(dir, 'data.csv')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new LabError('not_found', `No data.csv in ${dir}: give the hannover-covid folder (png/ and data.csv).`, { file })
  }
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[]
  if (!rows.length || !('image_id' in rows[0]) || !('patient_id' in rows[0])) throw new LabError('bad_input', `${file} lacks the columns image_id and patient_id.`, { file })
  return rows.map((r) => {
    const part: Part = splitOf(r['patient_id'], split) === 'test' ? 'test' : foldOf(r['patient_id'], split) === 0 ? 'val' : 'train'
    return { source: { path: path.join(dir, 'png', `${r['image_id']}.png`) }, origin: 'hannover-covid', label: 0, part }
  })
}

async function nihSamples(dir: string, split: SplitSpec): Promise<Sample[]> {
  const dataset = await readXrayDataset(dir, { requirePatients: true })
  return dataset.records.flatMap((r): Sample[] => {
    const label = r.findings.length === 0 ? 2 : r.findings.includes('Pneumonia') ? 1 : -1
    if (label < 0) return []
    const part: Part = splitOf(r.patient, split) === 'test' ? 'test' : foldOf(r.patient, split) === 0 ? 'val' : 'train'
    return [{ source: { path: path.join(dir, r.file) }, origin: 'nih', label, part }]
  })
}

/** Class-balanced, deterministic subsets of the official train and validation splits; the whole test split. */
async function pneumoniaMnistSamples(dir: string, perClass: Record<Part, number>): Promise<Sample[]> {
  const file = path.join(dir, 'pneumoniamnist.npz')
  const arrays = await readNpz(file)
  const out: Sample[] = []
  for (const [part, key] of [['train', 'train'], ['val', 'val'], ['test', 'test']] as const) {
    const images = arrays[`${key}_images`]
    const labels = arrays[`${key}_labels`]
    if (!images || !labels || images.shape.length !== 3) throw new LabError('bad_input', `${file} lacks ${key}_images (N×H×W) or ${key}_labels.`, { file })
    const [n, h, w] = images.shape
    const pixels = images.data as Uint8Array
    const byClass: number[][] = [[], []]
    for (let i = 0; i < n; i++) byClass[Number(labels.data[i])]?.push(i)
    for (const [cls, indices] of byClass.entries()) {
      const chosen = [...indices].sort((a, b) => unit(`pmnist:${key}:${a}`) - unit(`pmnist:${key}:${b}`)).slice(0, perClass[part])
      for (const i of chosen.sort((a, b) => a - b)) {
        const raster: GreyRaster<Uint8Array> = createGrey(w, h, pixels.slice(i * h * w, (i + 1) * h * w))
        out.push({ source: { raster, name: `pneumoniamnist ${key} #${i}` }, origin: 'pneumoniamnist', label: cls === 1 ? 1 : 2, part })
      }
    }
  }
  return out
}

function headData(features: Float32Array[], rows: number[], targets: Int32Array, name: string): HeadData {
  const dim = features[0].length
  const f = new Float32Array(rows.length * dim)
  rows.forEach((r, i) => f.set(features[r], i * dim))
  return { count: rows.length, dim, features: f, targets: { [name]: Int32Array.from(rows, (r) => targets[r]) } }
}

/** Trains a linear softmax head on `train` rows (early-stopped on `val`) and returns test probabilities. */
async function linearProbe(features: Float32Array[], targets: Int32Array, labels: string[], train: number[], val: number[], test: number[]) {
  const task: HeadTask = { name: 'y', type: 'softmax', labels }
  const head = await trainNetworkHead('linear', [task], headData(features, train, targets, 'y'), headData(features, val, targets, 'y'))
  const t = headData(features, test, targets, 'y')
  const scores = (await predict(head.spec, head.weights, { count: t.count, inputs: { features: t.features } }))['y']
  return { head, scores, targets: t.targets['y'] as Int32Array }
}

function accuracy(scores: Float32Array, targets: ArrayLike<number>, k: number): number {
  let ok = 0
  for (let i = 0; i < targets.length; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (scores[i * k + c] > scores[i * k + best]) best = c
    if (best === targets[i]) ok++
  }
  return ok / targets.length
}

function histogram(r: GreyRaster<Uint8Array>): Float32Array {
  const h = new Float32Array(32)
  for (const v of r.data) h[v >> 3]++
  for (let i = 0; i < 32; i++) h[i] /= r.data.length
  return h
}

const round = (v: number) => Math.round(v * 10000) / 10000

function meanOf(features: Float32Array[], rows: number[]): Float32Array {
  const m = new Float32Array(features[0].length)
  for (const r of rows) for (let d = 0; d < m.length; d++) m[d] += features[r][d] / rows.length
  return m
}

export async function trainXrayCovid(dirs: { nih: string; hannover: string; pneumoniamnist?: string }, o: TrainXrayOptions): Promise<TrainedCovid> {
  const log = o.log ?? (() => {})
  const split = o.split ?? defaultSplit
  const covidSplit: SplitSpec = { ...split, seed: 'xray-covid' }
  const samples = [
    ...(await hannoverSamples(dirs.hannover, covidSplit)),
    ...(await nihSamples(dirs.nih, split)),
    ...(dirs.pneumoniamnist ? await pneumoniaMnistSamples(dirs.pneumoniamnist, { train: 400, val: 100, test: Infinity }) : [])
  ]
  const net = await xrayFeatureNetwork(o)
  let last = 0
  const features = await computeFeatures(net, samples.map((s) => s.source), {
    cache: o.cache,
    onProgress: (done, total, cached) => {
      if (done - last >= 200 || done === total) log(`covid features ${done}/${total} (${cached} from the cache)`)
      last = done
    }
  })
  const rows = (part: Part, filter: (s: Sample) => boolean = () => true) => samples.flatMap((s, i) => (s.part === part && filter(s) ? [i] : []))
  const labels = Int32Array.from(samples, (s) => s.label)
  const count: CovidReport['samples'] = { train: {} as Record<Source, number[]>, val: {} as Record<Source, number[]>, test: {} as Record<Source, number[]> }
  for (const part of ['train', 'val', 'test'] as const) for (const src of sources) count[part][src] = covidClasses.map((_, c) => rows(part, (s) => s.origin === src && s.label === c).length)

  // The head.
  log('covid head: training')
  const main = await linearProbe(features, labels, [...covidClasses], rows('train'), rows('val'), rows('test'))
  const val = headData(features, rows('val'), labels, 'y')
  const valProbs = (await predict(main.head.spec, main.head.weights, { count: val.count, inputs: { features: val.features } }))['y']
  const valLogits = Float32Array.from(valProbs, (p) => Math.log(Math.max(p, 1e-12)))
  const temperature = fitTemperature(valLogits, val.targets['y'] as Int32Array, 3)
  const k = covidClasses.length
  const testRows = rows('test')
  const testLabels = main.targets
  // Calibrated test probabilities (what the exported head will give).
  const calibrated = new Float32Array(main.scores.length)
  for (let i = 0; i < testRows.length; i++) {
    const z = Array.from({ length: k }, (_, c) => Math.log(Math.max(main.scores[i * k + c], 1e-12)) / temperature)
    const m = Math.max(...z)
    const e = z.map((v) => Math.exp(v - m))
    const s = e.reduce((a, b) => a + b, 0)
    e.forEach((v, c) => (calibrated[i * k + c] = v / s))
  }
  const top = Array.from(testRows, (_, i) => Math.max(...calibrated.subarray(i * k, i * k + k)))
  const correct: number[] = Array.from(testRows, (_, i) => (calibrated.subarray(i * k, i * k + k).indexOf(top[i]) === testLabels[i] ? 1 : 0))
  const bySource: Record<string, number> = {}
  for (const src of sources) {
    const idx = testRows.map((r, i) => (samples[r].origin === src ? i : -1)).filter((i) => i >= 0)
    if (idx.length) bySource[src] = round(idx.reduce((n, i) => n + correct[i], 0) / idx.length)
  }
  const auc: Record<string, number> = {}
  covidClasses.forEach((c, j) => (auc[c] = round(rocAuc(Array.from(testRows, (_, i) => calibrated[i * k + j]), Array.from(testLabels, (t) => (t === j ? 1 : 0))))))
  const confusion = covidClasses.map((actual, a) => ({
    actual,
    predicted: Object.fromEntries(covidClasses.map((p, c) => [p, testRows.filter((_, i) => testLabels[i] === a && calibrated.subarray(i * k, i * k + k).indexOf(top[i]) === c).length]))
  }))

  // The confound, measured.
  log('covid head: measuring the source confound')
  const originOf = Int32Array.from(samples, (s) => sources.indexOf(s.origin))
  const sourceProbe = await linearProbe(features, originOf, [...sources], rows('train'), rows('val'), testRows)
  const sourceOnly = accuracy(sourceProbe.scores, sourceProbe.targets, sources.length)
  const histograms = await Promise.all(samples.map(async (s) => histogram(await sourceRaster(s.source))))
  const histProbe = await linearProbe(histograms, labels, [...covidClasses], rows('train'), rows('val'), testRows)
  const histogramOnly = accuracy(histProbe.scores, histProbe.targets, k)
  const pneumonia = Int32Array.from(samples, (s) => (s.label === 1 ? 1 : s.label === 2 ? 0 : -1))
  const within = (src: Source) => (s: Sample) => s.origin === src && s.label > 0
  const carry = async (from: Source, to: Source) => {
    const p = await linearProbe(features, pneumonia, ['normal', 'pneumonia'], rows('train', within(from)), rows('val', within(from)), rows('test', within(to)))
    return round(rocAuc(Array.from(p.targets, (_, i) => p.scores[i * 2 + 1]), p.targets))
  }
  const hasMnist = Boolean(dirs.pneumoniamnist)
  const pneumoniaAuc = {
    nih_to_nih: await carry('nih', 'nih'),
    pneumoniamnist_to_pneumoniamnist: hasMnist ? await carry('pneumoniamnist', 'pneumoniamnist') : NaN,
    pneumoniamnist_to_nih: hasMnist ? await carry('pneumoniamnist', 'nih') : NaN,
    nih_to_pneumoniamnist: hasMnist ? await carry('nih', 'pneumoniamnist') : NaN
  }

  const report: CovidReport = {
    samples: count,
    test: {
      images: testRows.length,
      accuracy: round(correct.reduce((a, b) => a + b, 0) / correct.length),
      accuracy_by_source: bySource,
      auc,
      ece: round(expectedCalibrationError(top, correct)),
      confusion
    },
    validation_accuracy: round(accuracy(valProbs, val.targets['y'] as Int32Array, k)),
    temperature: round(temperature),
    confound: {
      source_only_accuracy: round(sourceOnly),
      histogram_only_accuracy: round(histogramOnly),
      majority_class_accuracy: round(Math.max(...covidClasses.map((_, c) => Array.from(testLabels).filter((t) => t === c).length)) / testLabels.length),
      pneumonia_auc: pneumoniaAuc
    }
  }

  const ensemble = ensembleNetwork([{ spec: main.head.spec, weights: main.head.weights }], { y: { a: covidClasses.map(() => 1 / temperature), b: covidClasses.map(() => 0) } })
  // The exported output is called "covid".
  const spec = { ...ensemble.spec, heads: ensemble.spec.heads.map((h) => ({ ...h, name: 'covid' })) }
  const trainCount = rows('train').length
  const card =
    `COVID-19 / viral pneumonia / normal: a linear (softmax) head on the same multi-scale ${net.spec.backbone}@${net.spec.version} features as the findings, temperature-scaled. ` +
    `RESEARCH USE ONLY — SOURCE CONFOUND: every class comes from different sources. COVID-19 images are all from one hospital (Hannover Medical School, CLAHE-processed by the source); ` +
    `"viral pneumonia" and "normal" are NIH ChestX-ray14 adults (other hospital, other processing) and PneumoniaMNIST children aged 1–5 (Guangzhou, 28×28 pixels, bacterial and viral pneumonia not told apart), so the ` +
    `"viral pneumonia" class is really pneumonia of unconfirmed cause. A classifier can learn the hospital, age group and image processing instead of the disease. Measured on held-out images: ` +
    `the same features tell the source apart with ${(sourceOnly * 100).toFixed(1)}% accuracy, and a classifier that sees only the grey-level histogram (no anatomy) reaches ` +
    `${(histogramOnly * 100).toFixed(1)}% on the three classes (the head: ${(report.test.accuracy * 100).toFixed(1)}%; always answering the commonest class: ${(report.confound.majority_class_accuracy * 100).toFixed(1)}%). Pneumonia vs normal learned on one source and tested on the other: ` +
    `AUC ${pneumoniaAuc.pneumoniamnist_to_nih} (PneumoniaMNIST → NIH) and ${pneumoniaAuc.nih_to_pneumoniamnist} (NIH → PneumoniaMNIST), against ${pneumoniaAuc.nih_to_nih} and ` +
    `${pneumoniaAuc.pneumoniamnist_to_pneumoniamnist} within each. Do not read its COVID-19 probability as a diagnosis.`
  const model = await exportHeadWithGradients(
    { spec, weights: ensemble.weights },
    {
      name: 'xray-covid',
      version: o.version ?? '1.0.0',
      parent: null,
      task: 'xray-covid',
      description: card,
      labels: [...covidClasses],
      inputs: { features: { features: { backbone: net.spec.backbone, version: net.spec.version, output: 'features' } } },
      datasets: [
        { name: 'hannover-covid', samples: count.train['hannover-covid'][0], split: 'train (by patient)' },
        { name: 'nih', samples: count.train.nih[1] + count.train.nih[2], split: 'train (findings split, folds 1–4)' },
        ...(hasMnist ? [{ name: 'pneumoniamnist', samples: count.train.pneumoniamnist[1] + count.train.pneumoniamnist[2], split: 'train (class-balanced subset of the official train split)' }] : [])
      ],
      hyperparameters: { kind: 'linear', calibration: 'temperature', temperature: round(temperature), trainCount, ...specToHyperparameters(net.spec) },
      metrics: {
        'val.accuracy': report.validation_accuracy,
        'test.accuracy': report.test.accuracy,
        'test.ece': report.test.ece,
        ...Object.fromEntries(Object.entries(bySource).map(([s, v]) => [`test.accuracy.${s}`, v])),
        ...Object.fromEntries(Object.entries(auc).map(([c, v]) => [`test.auc.${c}`, v])),
        'confound.source_only_accuracy': round(sourceOnly),
        'confound.histogram_only_accuracy': round(histogramOnly),
        ...Object.fromEntries(Object.entries(pneumoniaAuc).filter(([, v]) => Number.isFinite(v)).map(([key, v]) => [`confound.pneumonia_auc.${key}`, v]))
      },
      licence: 'Trained on CC BY 3.0 (hannover-covid), CC BY 4.0 (PneumoniaMNIST) and NIH ChestX-ray14 (public, citation requested) images',
      notes: card
    },
    meanOf(features, rows('train'))
  )
  log(`covid head: test accuracy ${report.test.accuracy}; source-only ${report.confound.source_only_accuracy}; histogram-only ${report.confound.histogram_only_accuracy}`)
  return { model, report }
}

/**
 * The seed's pipeline (quadrant features → autoencoder → SLP/MLP) measured against plain whole-image
 * features on the same task and split: NIH abnormality (No Finding vs any finding), the training
 * patients for 5-fold cross-validation (out-of-fold AUC) and the held-out test patients once (AUC of a
 * classifier trained on folds 2–5 and early-stopped on fold 1). The autoencoder learns from the training
 * patients' features only, without labels.
 */
import path from 'node:path'
import type { FeatureCache } from '../../../preload/api'
import type { HeadData, HeadTask } from '../../ml/heads'
import { trainNetworkHead } from '../../ml/heads/network'
import { predict, rocAuc } from '../../ml/train'
import { defaultSplit, foldOf, readXrayDataset, splitOf, type SplitSpec } from '../findings/dataset'
import { computeFeatures, type XrayFeatureNetwork } from '../findings/features'
import { encode, trainAutoencoder } from './autoencoder'
import { quadrantFeatures } from './quadrants'

export interface ProbeResult {
  dim: number
  slp: { oof_auc: number; test_auc: number }
  mlp: { oof_auc: number; test_auc: number }
}

export interface QuadrantComparison {
  task: string
  train_images: number
  test_images: number
  plain: ProbeResult
  quadrant: ProbeResult
  quadrant_autoencoder: ProbeResult & { reconstruction_mse: number; autoencoder_epochs: number }
  seconds: number
}

const task: HeadTask = { name: 'abnormal', type: 'sigmoid', labels: ['Abnormal'] }
const round = (v: number) => Math.round(v * 10000) / 10000

function data(features: Float32Array[], rows: number[], y: Float32Array): HeadData {
  const dim = features[0].length
  const f = new Float32Array(rows.length * dim)
  rows.forEach((r, i) => f.set(features[r], i * dim))
  return { count: rows.length, dim, features: f, targets: { abnormal: Float32Array.from(rows, (r) => y[r]) } }
}

async function probe(features: Float32Array[], y: Float32Array, folds: number[][], test: number[]): Promise<ProbeResult> {
  const out = { dim: features[0].length } as ProbeResult
  for (const kind of ['linear', 'mlp'] as const) {
    const oof = new Map<number, number>()
    for (let f = 0; f < folds.length; f++) {
      const head = await trainNetworkHead(kind, [task], data(features, folds.filter((_, g) => g !== f).flat(), y), data(features, folds[f], y))
      const v = data(features, folds[f], y)
      const p = (await predict(head.spec, head.weights, { count: v.count, inputs: { features: v.features } }))['abnormal']
      folds[f].forEach((r, i) => oof.set(r, p[i]))
    }
    const rows = [...oof.keys()]
    const oofAuc = rocAuc(rows.map((r) => oof.get(r)!), rows.map((r) => y[r]))
    const head = await trainNetworkHead(kind, [task], data(features, folds.slice(1).flat(), y), data(features, folds[0], y))
    const t = data(features, test, y)
    const p = (await predict(head.spec, head.weights, { count: t.count, inputs: { features: t.features } }))['abnormal']
    const result = { oof_auc: round(oofAuc), test_auc: round(rocAuc(p, t.targets['abnormal'])) }
    if (kind === 'linear') out.slp = result
    else out.mlp = result
  }
  return out
}

export async function compareQuadrantFeatures(
  nihDir: string,
  net: XrayFeatureNetwork,
  o: { cache?: FeatureCache | null; split?: SplitSpec; log?: (line: string) => void; autoencoder?: { hidden?: [number, number, number]; epochs?: number } } = {}
): Promise<QuadrantComparison> {
  const started = performance.now()
  const log = o.log ?? (() => {})
  const split = o.split ?? defaultSplit
  const dataset = await readXrayDataset(nihDir, { requirePatients: true })
  const sources = dataset.records.map((r) => ({ path: path.join(nihDir, r.file) }))
  const y = Float32Array.from(dataset.records, (r) => (r.findings.length > 0 ? 1 : 0))
  const trainRows = dataset.records.flatMap((r, i) => (splitOf(r.patient, split) === 'train' ? [i] : []))
  const test = dataset.records.flatMap((r, i) => (splitOf(r.patient, split) === 'test' ? [i] : []))
  const folds = Array.from({ length: split.folds }, (_, f) => trainRows.filter((i) => foldOf(dataset.records[i].patient, split) === f))

  log('quadrant comparison: whole-image features')
  const plain = await computeFeatures(net, sources, { cache: o.cache })
  log('quadrant comparison: quadrant features (4 backbone runs per image)')
  const quad = await quadrantFeatures(net, sources, { cache: o.cache, onProgress: (d, t) => d % 128 === 0 && log(`  quadrants ${d}/${t}`) })
  log('quadrant comparison: autoencoder')
  const ae = await trainAutoencoder(folds.slice(1).flat().map((i) => quad[i]), folds[0].map((i) => quad[i]), o.autoencoder)
  const codes = await encode(ae, quad)

  log('quadrant comparison: SLP and MLP probes')
  const result: QuadrantComparison = {
    task: 'NIH abnormality (No Finding vs any finding)',
    train_images: trainRows.length,
    test_images: test.length,
    plain: await probe(plain, y, folds, test),
    quadrant: await probe(quad, y, folds, test),
    quadrant_autoencoder: { ...(await probe(codes, y, folds, test)), reconstruction_mse: round(ae.valLoss), autoencoder_epochs: ae.epochs },
    seconds: Math.round((performance.now() - started) / 100) / 10
  }
  return result
}

/**
 * Training the findings head on a dataset laid out like xray/nih (after SwinCheX: a frozen backbone and
 * a small multi-label head). Only the training patients of the split are used (dataset.ts); the test
 * patients are never seen here.
 *
 * 1. Which findings: every ChestX-ray14 label with at least `minPositives` positive images among the
 *    training patients; the others are recorded as not trained (with their counts), never scored as 0.
 * 2. Heads: one network with two outputs, `findings` (a sigmoid per trained finding) and `abnormal`
 *    (any finding vs No Finding), trained by the training engine (linear and MLP candidates) in k-fold
 *    cross-validation by patient: each fold's head is early-stopped on its held-out fold, and every
 *    training image gets an out-of-fold prediction from a head that never saw it.
 * 3. Choice: the kind with the best out-of-fold AUC (mean of the abnormality AUC and the mean finding
 *    AUC); linear when the MLP is not better by more than 0.005.
 * 4. Calibration and thresholds, on the out-of-fold predictions: Platt scaling per output, then the
 *    Youden threshold of the calibrated probabilities; ECE before and after.
 * 5. The k heads become one (their mean logit, calibration folded in) exported with gradients.
 */
import { LabError } from '../../errors'
import type { ExportedModel } from '../../ml/export'
import type { HeadData, HeadTask, MlpOptions } from '../../ml/heads'
import { trainNetworkHead } from '../../ml/heads/network'
import { predict, rocAuc } from '../../ml/train'
import { chooseThreshold, expectedCalibrationError, fitPlatt, logit, applyPlatt, type Platt } from '../calibration'
import { abnormalLabel, chestXray14, foldOf, splitOf, splitToHyperparameters, type SplitSpec, type XrayDataset } from './dataset'
import { specToHyperparameters, type FeatureSpec } from './feature-network'
import { ensembleNetwork, exportHeadWithGradients, type HeadMember } from './head-graph'

/** Small enough that five of them ship in a few megabytes; 256 units did no better in cross-validation. */
export const defaultXrayMlp: MlpOptions = { hidden: [64], dropout: 0.3 }

export interface TrainFindingsOptions {
  split: SplitSpec
  /** Fewest positive training images for a finding to get a head (default 20). */
  minPositives?: number
  kinds?: ('linear' | 'mlp')[]
  /** Hidden layers and dropout of the MLP candidate (default one layer of 64, dropout 0.3). */
  mlp?: MlpOptions
  epochs?: number
  seed?: number
  name?: string
  version?: string
  datasetName?: string
  onProgress?: (message: string) => void
  signal?: AbortSignal
}

export interface NotTrained {
  label: string
  positives: number
  reason: string
}

export interface OutputReport {
  label: string
  positives: number
  /** Out-of-fold AUC (cross-validation on the training patients). */
  auc: number
  eceBefore: number
  eceAfter: number
  platt: Platt
  threshold: number
  sensitivity: number
  specificity: number
}

export interface FindingsTraining {
  model: ExportedModel
  trained: string[]
  notTrained: NotTrained[]
  kind: 'linear' | 'mlp'
  candidates: { kind: 'linear' | 'mlp'; score: number; abnormalAuc: number; meanFindingAuc: number }[]
  outputs: OutputReport[]
  trainImages: number
  seconds: number
}

function headData(features: Float32Array[], indices: number[], targets: Record<string, Float32Array>, widths: Record<string, number>): HeadData {
  const dim = features[0].length
  const f = new Float32Array(indices.length * dim)
  indices.forEach((row, i) => f.set(features[row], i * dim))
  const picked: HeadData['targets'] = {}
  for (const [name, all] of Object.entries(targets)) {
    const k = widths[name]
    const t = new Float32Array(indices.length * k)
    indices.forEach((row, i) => t.set(all.subarray(row * k, row * k + k), i * k))
    picked[name] = t
  }
  return { count: indices.length, dim, features: f, targets: picked }
}

export async function trainFindings(dataset: XrayDataset, features: Float32Array[], featureSpec: FeatureSpec, o: TrainFindingsOptions): Promise<FindingsTraining> {
  const started = performance.now()
  const minPositives = o.minPositives ?? 20
  const train = dataset.records.map((r, i) => ({ r, i })).filter(({ r }) => splitOf(r.patient, o.split) === 'train')
  if (train.length < 20) throw new LabError('bad_input', `${dataset.dir} has only ${train.length} training images after holding out the test patients: too few to train.`)
  const count = (label: string) => train.filter(({ r }) => r.findings.includes(label)).length
  const trained = chestXray14.filter((l) => count(l) >= minPositives)
  const notTrained = chestXray14
    .filter((l) => count(l) < minPositives)
    .map((label) => ({ label, positives: count(label), reason: `${count(label)} positive training image${count(label) === 1 ? '' : 's'} (at least ${minPositives} needed)` }))
  const abnormalCount = train.filter(({ r }) => r.findings.length > 0).length
  if (abnormalCount < minPositives || train.length - abnormalCount < minPositives) {
    throw new LabError('bad_input', `${dataset.dir} needs at least ${minPositives} normal and ${minPositives} abnormal training images (has ${train.length - abnormalCount} and ${abnormalCount}).`)
  }

  const tasks: HeadTask[] = [
    ...(trained.length > 0 ? [{ name: 'findings', type: 'sigmoid' as const, labels: [...trained] }] : []),
    { name: 'abnormal', type: 'sigmoid', labels: [abnormalLabel] }
  ]
  const widths: Record<string, number> = Object.fromEntries(tasks.map((t) => [t.name, t.labels.length]))
  const targets: Record<string, Float32Array> = {
    abnormal: Float32Array.from(dataset.records, (r) => (r.findings.length > 0 ? 1 : 0))
  }
  if (trained.length > 0) {
    const t = new Float32Array(dataset.records.length * trained.length)
    dataset.records.forEach((r, i) => trained.forEach((l, j) => (t[i * trained.length + j] = r.findings.includes(l) ? 1 : 0)))
    targets.findings = t
  }
  const folds = Array.from({ length: o.split.folds }, (_, f) => train.filter(({ r }) => foldOf(r.patient, o.split) === f).map(({ i }) => i))
  if (folds.some((f) => f.length === 0)) throw new LabError('bad_input', `Too few patients in ${dataset.dir} for ${o.split.folds}-fold cross-validation.`)
  const all = train.map(({ i }) => i)

  // Out-of-fold probabilities per kind, per output column (findings…, abnormal).
  const columns = tasks.flatMap((t) => t.labels.map((label, j) => ({ task: t.name, j, label })))
  const candidates: { kind: 'linear' | 'mlp'; members: HeadMember[]; oof: Float32Array[]; score: number; abnormalAuc: number; meanFindingAuc: number }[] = []
  for (const kind of o.kinds ?? ['linear', 'mlp']) {
    const oof = columns.map(() => new Float32Array(dataset.records.length))
    const members: HeadMember[] = []
    for (let f = 0; f < folds.length; f++) {
      if (o.signal?.aborted) throw new LabError('cancelled', 'Training was cancelled.')
      o.onProgress?.(`${kind} head, fold ${f + 1}/${folds.length}`)
      const fitRows = folds.filter((_, g) => g !== f).flat()
      const valSet = headData(features, folds[f], targets, widths)
      const head = await trainNetworkHead(kind, tasks, headData(features, fitRows, targets, widths), valSet, { epochs: o.epochs, seed: (o.seed ?? 1) + f, signal: o.signal, mlp: o.mlp ?? defaultXrayMlp })
      members.push({ spec: head.spec, weights: head.weights })
      const scores = await predict(head.spec, head.weights, { count: valSet.count, inputs: { features: valSet.features } })
      columns.forEach((c, k) => folds[f].forEach((row, n) => (oof[k][row] = scores[c.task][n * widths[c.task] + c.j])))
    }
    const aucs = columns.map((c, k) => rocAuc(all.map((i) => oof[k][i]), all.map((i) => targets[c.task][i * widths[c.task] + c.j])))
    const abnormalAuc = aucs[aucs.length - 1]
    const findingAucs = aucs.slice(0, -1)
    const meanFindingAuc = findingAucs.length ? findingAucs.reduce((a, b) => a + b, 0) / findingAucs.length : abnormalAuc
    candidates.push({ kind, members, oof, abnormalAuc, meanFindingAuc, score: (abnormalAuc + meanFindingAuc) / 2 })
  }
  const top = Math.max(...candidates.map((c) => c.score))
  const chosen = candidates.find((c) => c.score >= top - 0.005)!

  // Calibration and thresholds on the out-of-fold predictions of the chosen kind.
  const outputs: OutputReport[] = columns.map((c, k) => {
    const z = all.map((i) => logit(chosen.oof[k][i]))
    const t = all.map((i) => targets[c.task][i * widths[c.task] + c.j])
    const platt = fitPlatt(z, t)
    const calibrated = z.map((v) => applyPlatt(platt, v))
    const point = chooseThreshold(calibrated, t)
    return {
      label: c.label,
      positives: t.filter((v) => v === 1).length,
      auc: rocAuc(calibrated, t),
      eceBefore: expectedCalibrationError(all.map((i) => chosen.oof[k][i]), t),
      eceAfter: expectedCalibrationError(calibrated, t),
      platt,
      threshold: point.threshold,
      sensitivity: point.sensitivity,
      specificity: point.specificity
    }
  })
  const calibration = Object.fromEntries(
    tasks.map((t) => {
      const rows = outputs.filter((_, k) => columns[k].task === t.name)
      return [t.name, { a: rows.map((r) => r.platt.a), b: rows.map((r) => r.platt.b) }]
    })
  )
  const ensemble = ensembleNetwork(chosen.members, calibration)

  const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d
  const metrics: Record<string, number> = {}
  for (const r of outputs) {
    metrics[`val.auc.${r.label}`] = round(r.auc)
    metrics[`val.ece.${r.label}`] = round(r.eceAfter)
    metrics[`val.ece_uncalibrated.${r.label}`] = round(r.eceBefore)
    metrics[`threshold.${r.label}`] = round(r.threshold, 6)
    metrics[`val.sensitivity.${r.label}`] = round(r.sensitivity)
    metrics[`val.specificity.${r.label}`] = round(r.specificity)
  }
  const findingReports = outputs.filter((r) => r.label !== abnormalLabel)
  if (findingReports.length) metrics['val.mean_auc'] = round(findingReports.reduce((s, r) => s + r.auc, 0) / findingReports.length)
  const classCounts: Record<string, number> = Object.fromEntries(chestXray14.map((l) => [l, count(l)]))
  classCounts[abnormalLabel] = abnormalCount
  const datasetName = o.datasetName ?? 'nih'
  const reference = new Float32Array(features[0].length)
  for (const i of all) for (let d = 0; d < reference.length; d++) reference[d] += features[i][d] / all.length
  const model = await exportHeadWithGradients(ensemble, {
    name: o.name ?? 'xray-findings',
    version: o.version ?? '1.0.0',
    parent: null,
    task: 'xray-findings',
    description:
      `Chest X-ray findings: ${chosen.kind === 'linear' ? 'linear (logistic)' : 'MLP'} heads on multi-scale ${featureSpec.backbone}@${featureSpec.version} features ` +
      `(global-average-pooled activations of ${featureSpec.taps.length} layers${featureSpec.flip ? ', averaged with the mirror image' : ''}), ` +
      `the mean of ${chosen.members.length} cross-validation heads, Platt-calibrated. Outputs: ${trained.join(', ') || 'no findings'} and the abnormality score ` +
      `(any finding vs No Finding). Not trained (too few positive images): ${notTrained.map((n) => `${n.label} (${n.positives})`).join(', ') || 'none'}.`,
    labels: [...trained],
    inputs: { features: { features: { backbone: featureSpec.backbone, version: featureSpec.version, output: 'features' } } },
    datasets: [{ name: datasetName, samples: all.length, split: `train (${o.split.folds}-fold cross-validation by patient; test patients held out)` }],
    hyperparameters: {
      kind: chosen.kind,
      ensemble: chosen.members.length,
      minPositives,
      calibration: 'platt',
      threshold: 'youden',
      ...Object.fromEntries(candidates.map((c) => [`candidate.${c.kind}.score`, round(c.score)])),
      ...specToHyperparameters(featureSpec),
      ...splitToHyperparameters(o.split)
    },
    metrics,
    notes: `Not trained: ${notTrained.map((n) => `${n.label}: ${n.reason}`).join('; ') || 'none'}. Validation figures are out-of-fold predictions on the training patients; thresholds maximise Youden's J there.`
  }, reference)
  model.manifest.training = { ...model.manifest.training!, classCounts }
  return {
    model,
    trained: [...trained],
    notTrained,
    kind: chosen.kind,
    candidates: candidates.map((c) => ({ kind: c.kind, score: round(c.score), abnormalAuc: round(c.abnormalAuc), meanFindingAuc: round(c.meanFindingAuc) })),
    outputs,
    trainImages: all.length,
    seconds: (performance.now() - started) / 1000
  }
}

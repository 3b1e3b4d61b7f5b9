/**
 * Held-out metrics of the findings head from per-image scores and the manifest's labels: AUC per trained
 * finding with at least `minPositives` positive images, their mean, the abnormality AUC (No Finding vs
 * any finding), calibration error, and sensitivity/specificity at the thresholds in force.
 */
import { rocAuc } from '../../ml/train'
import { expectedCalibrationError, operatingPoint } from '../calibration'
import { abnormalLabel, type XrayRecord } from '../findings/dataset'
import type { RawScores } from '../findings/pipeline'

export interface FindingsMetrics {
  images: number
  /** Per trained finding with enough positives in the evaluated images. */
  auc: Record<string, number>
  mean_auc: number | null
  abnormal_auc: number | null
  /** Positive images per finding among the evaluated ones (trained findings). */
  positives: Record<string, number>
  /** Expected calibration error (10 bins) per scored label, 'Abnormal' included. */
  ece: Record<string, number>
  /** At the thresholds in force. */
  sensitivity: Record<string, number>
  specificity: Record<string, number>
}

const round = (v: number) => Math.round(v * 10000) / 10000

export function findingsMetrics(records: XrayRecord[], scores: RawScores[], findings: string[], thresholds: Record<string, number>, minPositives = 10): FindingsMetrics {
  const auc: Record<string, number> = {}
  const positives: Record<string, number> = {}
  const ece: Record<string, number> = {}
  const sensitivity: Record<string, number> = {}
  const specificity: Record<string, number> = {}
  const measure = (label: string, s: number[], t: number[]) => {
    const n = t.filter((v) => v === 1).length
    if (label !== abnormalLabel) positives[label] = n
    const e = expectedCalibrationError(s, t)
    if (Number.isFinite(e)) ece[label] = round(e)
    const p = operatingPoint(s, t, thresholds[label] ?? 0.5)
    if (Number.isFinite(p.sensitivity)) sensitivity[label] = round(p.sensitivity)
    if (Number.isFinite(p.specificity)) specificity[label] = round(p.specificity)
    return n
  }
  findings.forEach((label, j) => {
    const s = scores.map((r) => r.findings![j])
    const t = records.map((r) => (r.findings.includes(label) ? 1 : 0))
    const n = measure(label, s, t)
    if (n >= minPositives && records.length - n > 0) auc[label] = round(rocAuc(s, t))
  })
  const abnormalTargets = records.map((r) => (r.findings.length > 0 ? 1 : 0))
  const abnormalScores = scores.map((r) => r.abnormal)
  measure(abnormalLabel, abnormalScores, abnormalTargets)
  const a = rocAuc(abnormalScores, abnormalTargets)
  const values = Object.values(auc)
  return {
    images: records.length,
    auc,
    mean_auc: values.length ? round(values.reduce((x, y) => x + y, 0) / values.length) : null,
    abnormal_auc: Number.isFinite(a) ? round(a) : null,
    positives,
    ece,
    sensitivity,
    specificity
  }
}

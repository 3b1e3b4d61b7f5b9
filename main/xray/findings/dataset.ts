/**
 * Chest X-ray datasets laid out like xray/nih: `manifest.csv` with `file` (relative to the folder),
 * `findings` (NIH's `|`-separated labels, or `No Finding`) and `patient`. The split is by patient and
 * deterministic: a patient's place depends only on a hash of (seed, patient id), never on row order, so
 * the same patients are held out on every machine and in every later run. The non-test patients are
 * further dealt into folds for cross-validated training.
 */
import { createHash } from 'node:crypto'
import { LabError } from '../../errors'
import { readManifest } from '../../datasets/manifest'

/** The 14 ChestX-ray14 findings, in NIH's order (Wang et al. 2017). */
export const chestXray14 = [
  'Atelectasis',
  'Cardiomegaly',
  'Effusion',
  'Infiltration',
  'Mass',
  'Nodule',
  'Pneumonia',
  'Pneumothorax',
  'Consolidation',
  'Edema',
  'Emphysema',
  'Fibrosis',
  'Pleural_Thickening',
  'Hernia'
] as const

export const noFinding = 'No Finding'

/** The abnormality score's label: any finding vs No Finding. */
export const abnormalLabel = 'Abnormal'

export interface XrayRecord {
  file: string
  /** Findings named in the manifest (empty for No Finding). */
  findings: string[]
  /** '' when the manifest has no patient column. */
  patient: string
  /** The manifest row as read. */
  row: Record<string, string>
}

export interface XrayDataset {
  dir: string
  records: XrayRecord[]
  hasPatients: boolean
}

export function parseFindings(text: string): string[] {
  return text
    .split('|')
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && s !== noFinding)
}

/** Reads a dataset folder; `requirePatients` for anything that splits it. */
export async function readXrayDataset(dir: string, options: { requirePatients?: boolean } = {}): Promise<XrayDataset> {
  const manifest = await readManifest(dir, 'manifest.csv', ['file', 'findings', ...(options.requirePatients ? ['patient'] : [])])
  const hasPatients = manifest.columns.includes('patient')
  const records = manifest.rows.map((row, i) => {
    if (!row['file']) throw new LabError('bad_input', `${dir}/manifest.csv row ${i + 2} has no file name.`, { file: `${dir}/manifest.csv` })
    return { file: row['file'], findings: parseFindings(row['findings'] ?? ''), patient: hasPatients ? row['patient'] : '', row }
  })
  if (records.length === 0) throw new LabError('bad_input', `${dir}/manifest.csv lists no images.`, { file: `${dir}/manifest.csv` })
  return { dir, records, hasPatients }
}

/** How a dataset is split; recorded in the trained model's manifest so that evaluation finds the same patients. */
export interface SplitSpec {
  seed: string
  /** Fraction of patients held out for the test. */
  testFraction: number
  /** Cross-validation folds over the remaining patients. */
  folds: number
}

export const defaultSplit: SplitSpec = { seed: 'xray-nih', testFraction: 0.2, folds: 5 }

function unit(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32
}

export type XraySplit = 'train' | 'test'

export function splitOf(patient: string, spec: SplitSpec): XraySplit {
  return unit(`${spec.seed}:${patient}`) < spec.testFraction ? 'test' : 'train'
}

/** The cross-validation fold (0 … folds−1) of a training patient. */
export function foldOf(patient: string, spec: SplitSpec): number {
  return Math.min(spec.folds - 1, Math.floor(unit(`${spec.seed}:fold:${patient}`) * spec.folds))
}

export function splitToHyperparameters(spec: SplitSpec): Record<string, string | number> {
  return { 'split.seed': spec.seed, 'split.test': spec.testFraction, 'split.folds': spec.folds, 'split.group': 'patient' }
}

export function splitFromHyperparameters(h: Record<string, unknown>): SplitSpec | null {
  const seed = h['split.seed']
  const test = h['split.test']
  const folds = h['split.folds']
  if (typeof seed !== 'string' || typeof test !== 'number' || typeof folds !== 'number') return null
  return { seed, testFraction: test, folds }
}

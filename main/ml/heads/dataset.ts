/**
 * Head training data from a dataset manifest: targets from columns (a softmax task from a column of class
 * names; a sigmoid task from a column of separator-joined labels, e.g. NIH's 'Pneumonia|Infiltration'),
 * and a validation split by group (patient, cell, case) so that no group is on both sides.
 */
import { createHash } from 'node:crypto'
import type { FeatureEntry } from '../../../preload/api'
import { LabError } from '../../errors'
import type { HeadData, HeadTask } from './spec'

export interface ColumnTask extends HeadTask {
  column: string
  /** For sigmoid tasks: the separator between labels in one cell. Default '|'. */
  separator?: string
}

/** Targets for every row; rows whose value is not one of a softmax task's labels get -1 (unknown). */
export function targetsFromRows(rows: Record<string, string>[], tasks: ColumnTask[]): Record<string, Int32Array | Float32Array> {
  const out: Record<string, Int32Array | Float32Array> = {}
  for (const task of tasks) {
    if (rows.length > 0 && !(task.column in rows[0])) throw new LabError('bad_input', `The manifest has no column "${task.column}" for the task "${task.name}".`)
    if (task.type === 'softmax') {
      out[task.name] = Int32Array.from(rows, (r) => task.labels.indexOf(r[task.column].trim()))
    } else {
      const k = task.labels.length
      const t = new Float32Array(rows.length * k)
      rows.forEach((r, i) => {
        const present = new Set(r[task.column].split(task.separator ?? '|').map((s) => s.trim()))
        task.labels.forEach((label, j) => (t[i * k + j] = present.has(label) ? 1 : 0))
      })
      out[task.name] = t
    }
  }
  return out
}

/**
 * Deterministic split by group: a group goes to validation when the hash of (seed, group) falls in the
 * first `fraction` of the range, so the split does not depend on row order.
 */
export function splitByGroup(rows: Record<string, string>[], groupColumn: string, fraction: number, seed = 1): { train: number[]; val: number[] } {
  if (rows.length > 0 && !(groupColumn in rows[0])) throw new LabError('bad_input', `The manifest has no column "${groupColumn}" to split by.`)
  const train: number[] = []
  const val: number[] = []
  rows.forEach((r, i) => {
    const h = createHash('sha256').update(`${seed}:${r[groupColumn]}`).digest().readUInt32BE(0) / 2 ** 32
    ;(h < fraction ? val : train).push(i)
  })
  return { train, val }
}

/** Rows `indices` as HeadData: the named feature output of each entry, and the targets of those rows. */
export function headDataFor(entries: FeatureEntry[], output: string, targets: Record<string, Int32Array | Float32Array>, tasks: HeadTask[], indices: number[]): HeadData {
  const first = entries[indices[0] ?? 0]?.outputs[output]
  if (!first) throw new LabError('invalid_argument', `The features have no output "${output}" (they have ${Object.keys(entries[0]?.outputs ?? {}).join(', ')}).`)
  const dim = first.length
  const features = new Float32Array(indices.length * dim)
  indices.forEach((row, i) => features.set(entries[row].outputs[output], i * dim))
  const picked: HeadData['targets'] = {}
  for (const task of tasks) {
    const all = targets[task.name]
    const k = task.type === 'softmax' ? 1 : task.labels.length
    const t = task.type === 'softmax' ? new Int32Array(indices.length) : new Float32Array(indices.length * k)
    indices.forEach((row, i) => {
      for (let j = 0; j < k; j++) t[i * k + j] = all[row * k + j]
    })
    picked[task.name] = t
  }
  return { count: indices.length, dim, features, targets: picked }
}

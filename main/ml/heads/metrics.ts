/** Validation metrics of a head's scores, named as the training engine names them ('val.<task>.auc', …). */
import { LabError } from '../../errors'
import { classificationMetrics, multiLabelMetrics } from '../train'
import type { HeadData, HeadScores, HeadTask } from './spec'

export function headMetrics(tasks: HeadTask[], scores: HeadScores, data: HeadData, prefix = 'val.'): Record<string, number> {
  const out: Record<string, number> = {}
  for (const task of tasks) {
    const target = data.targets[task.name]
    const s = scores[task.name]
    const m =
      task.type === 'softmax'
        ? classificationMetrics(s, target as Int32Array, task.labels.length)
        : multiLabelMetrics(s, target as Float32Array, task.labels.length)
    for (const [k, v] of Object.entries(m)) out[`${prefix}${task.name}.${k}`] = v
  }
  return out
}

/** One number to compare heads by: the mean over tasks of validation AUC (accuracy where AUC is undefined). */
export function headScore(tasks: HeadTask[], metrics: Record<string, number>, prefix = 'val.'): number {
  const per = tasks.map((t) => {
    const auc = metrics[`${prefix}${t.name}.auc`]
    return Number.isFinite(auc) ? auc : metrics[`${prefix}${t.name}.accuracy`]
  })
  return per.reduce((a, b) => a + b, 0) / per.length
}

/** Checks that data and tasks agree before any fitting, naming what is wrong. */
export function checkHeadData(tasks: HeadTask[], data: HeadData, what: string): void {
  if (tasks.length === 0) throw new LabError('invalid_argument', 'A head needs at least one task.')
  if (data.features.length !== data.count * data.dim) {
    throw new LabError('invalid_argument', `${what}: ${data.features.length} feature values are not ${data.count} × ${data.dim}.`)
  }
  for (const task of tasks) {
    const target = data.targets[task.name]
    if (!target) throw new LabError('invalid_argument', `${what} has no targets for the task "${task.name}".`)
    if (task.type === 'softmax') {
      if (task.labels.length < 2) throw new LabError('invalid_argument', `The softmax task "${task.name}" needs at least two labels.`)
      if (!(target instanceof Int32Array) || target.length !== data.count) {
        throw new LabError('invalid_argument', `${what}: the targets of "${task.name}" must be ${data.count} class indices.`)
      }
    } else if (!(target instanceof Float32Array) || target.length !== data.count * task.labels.length) {
      throw new LabError('invalid_argument', `${what}: the targets of "${task.name}" must be ${data.count} × ${task.labels.length} values of 0/1.`)
    }
  }
}

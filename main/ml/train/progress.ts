/** Training progress in the shape of the contract's `task.progress` event. */
import type { TaskProgress } from '../../../preload/api'
import type { TrainProgress } from './types'

export function toTaskProgress(taskId: string, p: TrainProgress, state: TaskProgress['state'] = p.phase === 'done' ? 'done' : 'running'): TaskProgress {
  const metric = Number.isFinite(p.valMetric) ? `, validation ${p.monitor} ${p.valMetric.toFixed(4)}` : ''
  return {
    taskId,
    stage: 'train',
    done: p.step,
    total: p.totalSteps,
    message:
      p.phase === 'done'
        ? `Training finished after ${p.epoch} epoch${p.epoch === 1 ? '' : 's'}${metric}`
        : `Epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}${metric}`,
    metrics: {
      epoch: p.epoch,
      step: p.step,
      loss: p.loss,
      ...(Number.isFinite(p.valMetric) ? { valMetric: p.valMetric } : {}),
      samplesPerSecond: p.samplesPerSecond,
      etaSeconds: p.etaSeconds
    },
    state
  }
}

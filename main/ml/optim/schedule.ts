/** Learning rate for a step of the run, from the schedule (fed to the graph as an input every step). */
import type { ScheduleSpec } from './spec'

export function learningRateAt(
  schedule: ScheduleSpec | undefined,
  base: number,
  at: { epoch: number; step: number; stepsPerEpoch: number; epochs: number }
): number {
  const s = schedule ?? { type: 'constant' }
  switch (s.type) {
    case 'constant':
      return base
    case 'step':
      return base * s.gamma ** Math.floor(at.epoch / Math.max(1, s.everyEpochs))
    case 'cosine': {
      const min = s.minLearningRate ?? 0
      const warm = (s.warmupEpochs ?? 0) * at.stepsPerEpoch
      const total = Math.max(1, at.epochs * at.stepsPerEpoch)
      if (at.step < warm) return (base * (at.step + 1)) / warm
      const progress = Math.min(1, (at.step - warm) / Math.max(1, total - warm))
      return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * progress))
    }
  }
}

/** Optimizer and learning-rate schedule settings (plain data, part of the training options). */

export type OptimizerSpec =
  | {
      type: 'sgd'
      learningRate: number
      momentum?: number
      nesterov?: boolean
      /** L2 penalty added to the gradient (PyTorch SGD's weight_decay). */
      weightDecay?: number
      /** Clip the global gradient norm to this value before the update. */
      clipGradientNorm?: number
    }
  | {
      type: 'adamw'
      learningRate: number
      beta1?: number
      beta2?: number
      epsilon?: number
      /** Decoupled weight decay (PyTorch AdamW; default 0.01). */
      weightDecay?: number
      clipGradientNorm?: number
    }

/** Learning rate over the run, computed per step and fed to the graph. */
export type ScheduleSpec =
  | { type: 'constant' }
  /** lr × gamma^floor(epoch / everyEpochs). */
  | { type: 'step'; everyEpochs: number; gamma: number }
  /** Cosine decay from lr to minLearningRate over the run (per step), after an optional linear warm-up. */
  | { type: 'cosine'; minLearningRate?: number; warmupEpochs?: number }

/**
 * Optimizers as graph nodes. An optimizer reads each trainable parameter, its gradient and its state
 * slots (same shape as the parameter), and emits the updated parameter and slots. Step-dependent numbers
 * (learning rate, bias corrections) are scalar graph inputs fed every step, so one graph serves the run.
 */
import type { Graph, Value } from '../graph/graph'
import * as op from '../graph/ops'
import type { OptimizerSpec } from './spec'

export interface ParamUpdate {
  param: Value
  grad: Value
  slots: Value[]
}

export interface Optimizer {
  /** State tensors per parameter (0 for plain SGD, 1 for momentum, 2 for AdamW). */
  readonly slotCount: number
  /** Names of the scalar inputs the update reads. */
  readonly scalarNames: string[]
  emit(g: Graph, items: ParamUpdate[], scalars: Record<string, Value>): { param: Value; slots: Value[] }[]
  /** Values of the scalar inputs for optimizer step `step` (1-based) at learning rate `lr`. */
  scalars(step: number, lr: number): Record<string, number>
}

export function makeOptimizer(spec: OptimizerSpec): Optimizer {
  if (!(spec.learningRate > 0)) throw new Error('The learning rate must be positive')
  return spec.type === 'adamw' ? adamW(spec) : sgd(spec)
}

/**
 * PyTorch's AdamW (decoupled weight decay, bias-corrected moments, eps outside the square root), in 11
 * element-wise ops per parameter instead of 14: the slots hold M = m/(1−β1) and V = v/(1−β2), so
 * M ← β1·M + g and V ← β2·V + g², and the update folds every constant into two per-step scalars:
 * p ← p·(1 − lr·wd) − k·M/(√V + ε'), k = lr·(1−β1)/(bc1·c), ε' = ε/c, c = √(1−β2)/√bc2.
 */
function adamW(spec: Extract<OptimizerSpec, { type: 'adamw' }>): Optimizer {
  const b1 = spec.beta1 ?? 0.9
  const b2 = spec.beta2 ?? 0.999
  const eps = spec.epsilon ?? 1e-8
  const wd = spec.weightDecay ?? 0.01
  return {
    slotCount: 2,
    scalarNames: wd ? ['decay', 'stepScale', 'epsilon'] : ['stepScale', 'epsilon'],
    emit(g, items, s) {
      return items.map(({ param, grad, slots: [m, v] }) => {
        const decayed = wd ? op.mul(g, param, s.decay) : param
        const m1 = op.add(g, op.mul(g, m, g.scalar(b1)), grad)
        const v1 = op.add(g, op.mul(g, v, g.scalar(b2)), op.mul(g, grad, grad))
        const denom = op.add(g, op.sqrt(g, v1), s.epsilon)
        const p1 = op.sub(g, decayed, op.mul(g, op.div(g, m1, denom), s.stepScale))
        return { param: p1, slots: [m1, v1] }
      })
    },
    scalars(step, lr) {
      const bc1 = 1 - b1 ** step
      const bc2 = 1 - b2 ** step
      const c = Math.sqrt(1 - b2) / Math.sqrt(bc2)
      return { decay: 1 - lr * wd, stepScale: (lr * (1 - b1)) / (bc1 * c), epsilon: eps / c }
    }
  }
}

/** PyTorch's SGD: L2 weight decay into the gradient, momentum buffer (dampening 0), optional Nesterov. */
function sgd(spec: Extract<OptimizerSpec, { type: 'sgd' }>): Optimizer {
  const momentum = spec.momentum ?? 0
  const wd = spec.weightDecay ?? 0
  const nesterov = spec.nesterov ?? false
  return {
    slotCount: momentum ? 1 : 0,
    scalarNames: ['lr'],
    emit(g, items, s) {
      return items.map(({ param, grad, slots }) => {
        const d = wd ? op.add(g, grad, op.mul(g, param, g.scalar(wd))) : grad
        if (!momentum) return { param: op.sub(g, param, op.mul(g, d, s.lr)), slots: [] }
        const buf = op.add(g, op.mul(g, slots[0], g.scalar(momentum)), d)
        const direction = nesterov ? op.add(g, d, op.mul(g, buf, g.scalar(momentum))) : buf
        return { param: op.sub(g, param, op.mul(g, direction, s.lr)), slots: [buf] }
      })
    },
    scalars(_step, lr) {
      return { lr }
    }
  }
}

/**
 * Scales all gradients by min(1, maxNorm / (‖g‖ + 1e-6)) where ‖g‖ is the global L2 norm
 * (PyTorch's clip_grad_norm_).
 */
export function clipGlobalNorm(g: Graph, grads: Value[], maxNorm: number): Value[] {
  const squares = grads.map((gr) => op.reduce(g, 'ReduceSumSquare', gr, [], false))
  const norm = op.sqrt(g, op.sum(g, squares))
  const coef = op.div(g, g.scalar(maxNorm), op.add(g, norm, g.scalar(1e-6)))
  const [clamped] = g.emit('Min', [coef, g.scalar(1)], [{ shape: [], dtype: 'float32' }])
  return grads.map((gr) => op.mul(g, gr, clamped))
}

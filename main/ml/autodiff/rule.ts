/** The shape of a gradient rule and helpers shared by the rules. */
import type { Graph, Shape, TapeEntry, Value } from '../graph/graph'
import * as op from '../graph/ops'
import { broadcastAxes, sameShape } from '../graph/shapes'

/**
 * Given the gradients of an entry's outputs (null where nothing flows back), returns the gradients of
 * its inputs, computing only those marked in `needs` (null elsewhere). Emits ordinary ONNX nodes.
 */
export type GradRule = (g: Graph, entry: TapeEntry, dOut: (Value | null)[], needs: boolean[]) => (Value | null)[]

/** Sums a broadcast gradient back down to `shape`. */
export function unbroadcast(g: Graph, grad: Value, shape: Shape): Value {
  if (sameShape(grad.shape, shape)) return grad
  const axes = broadcastAxes(shape, grad.shape)
  let out = axes.length ? op.reduceSum(g, grad, axes, true) : grad
  if (out.shape.length !== shape.length) out = op.reshape(g, out, shape)
  return out
}

export function param<T>(entry: TapeEntry, name: string): T {
  if (!(name in entry.params)) throw new Error(`${entry.op}: missing parameter ${name}`)
  return entry.params[name] as T
}

/**
 * The network in inference mode (running statistics, no dropout) with each head's scores as outputs:
 * softmax probabilities, sigmoid probabilities, or the raw values for a mean-squared-error head. Its
 * parameters are graph inputs (evaluation during training) or initializers (predict, export).
 */
import { LabError } from '../../errors'
import { Graph, type Value } from '../graph/graph'
import * as op from '../graph/ops'
import { buildNetwork, networkParams } from './network'
import type { HeadSpec, NetworkSpec } from './spec'
import type { Weights } from './types'

export interface HeadOutput {
  head: HeadSpec
  name: string
  shape: (number | string)[]
  activation: 'softmax' | 'sigmoid' | 'none'
}

export interface InferenceGraph {
  graph: Graph
  heads: HeadOutput[]
  /** Extra layer outputs requested (e.g. features), by layer name. */
  extras: { layer: string; name: string; shape: (number | string)[] }[]
}

export function activationOf(head: HeadSpec): HeadOutput['activation'] {
  return head.loss.type === 'softmax-cross-entropy' ? 'softmax' : head.loss.type === 'sigmoid-binary-cross-entropy' ? 'sigmoid' : 'none'
}

/**
 * `weights` given → parameters become initializers (a self-contained model); absent → inputs named
 * `p:<name>`. Network inputs keep the spec's names; head outputs are named after the heads.
 */
export function buildInferenceGraph(spec: NetworkSpec, weights?: Weights, extraOutputs: string[] = []): InferenceGraph {
  const g = new Graph('inference')
  g.recording = false
  const params = networkParams(spec)
  const values = new Map<string, Value>()
  for (const p of params) {
    if (!weights) values.set(p.name, g.input(`p:${p.name}`, p.shape))
    else {
      const w = weights[p.name]
      if (!w) throw new LabError('invalid_argument', `The weights have no "${p.name}" (expected shape [${p.shape}]).`)
      if (w.data.length !== p.shape.reduce((a, b) => a * b, 1)) {
        throw new LabError('invalid_argument', `Weight "${p.name}" has ${w.data.length} values; shape [${p.shape}] needs ${p.shape.reduce((a, b) => a * b, 1)}.`)
      }
      values.set(p.name, g.initializer(p.name, w.data, p.shape))
    }
  }
  const built = buildNetwork(g, spec, { mode: 'infer', batch: 'batch', param: (name) => values.get(name)! })
  const heads: HeadOutput[] = spec.heads.map((head) => {
    const logits = built.values.get(head.from)
    if (!logits) throw new LabError('invalid_argument', `Head ${head.name} reads "${head.from}", which is not a layer of the network.`)
    const activation = activationOf(head)
    const scores = activation === 'softmax' ? op.softmax(g, logits, -1) : activation === 'sigmoid' ? op.sigmoid(g, logits) : logits
    const out = g.output(scores, head.name)
    return { head, name: out.name, shape: out.shape, activation }
  })
  const extras = extraOutputs.map((layer) => {
    const v = built.values.get(layer)
    if (!v) throw new LabError('invalid_argument', `Cannot export "${layer}": no such layer.`)
    const out = g.output(v, `${layer}`)
    return { layer, name: out.name, shape: out.shape }
  })
  return { graph: g, heads, extras }
}

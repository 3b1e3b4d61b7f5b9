/**
 * Reverse-mode differentiation over a Graph's tape. `backward` appends the gradient nodes to the same
 * graph and returns, for each requested value, the value holding dLoss/dValue.
 */
import type { Graph, TapeEntry, Value } from '../graph/graph'
import * as op from '../graph/ops'
import { basicRules } from './rules-basic'
import { nnRules } from './rules-nn'
import type { GradRule } from './rule'

const rules: Record<string, GradRule> = { ...basicRules, ...nnRules }

export function hasGradient(opName: string): boolean {
  return opName in rules
}

export interface Seed {
  value: Value
  /** The incoming gradient; omitted = 1 (a scalar loss). */
  grad?: Value
}

export function backward(g: Graph, seeds: Seed[], wrt: Value[]): Value[] {
  const tape = [...g.tape]
  // Values that depend on something we differentiate with respect to.
  const live = new Set(wrt.map((v) => v.name))
  for (const e of tape) if (e.inputs.some((v) => live.has(v.name))) e.outputs.forEach((v) => live.add(v.name))

  const pending = new Map<string, Value[]>()
  const contribute = (v: Value, grad: Value) => {
    const list = pending.get(v.name)
    if (list) list.push(grad)
    else pending.set(v.name, [grad])
  }
  const recording = g.recording
  g.recording = false
  try {
    for (const s of seeds) contribute(s.value, s.grad ?? g.constant([1], s.value.shape as number[]))
    const total = (v: Value): Value | null => {
      const list = pending.get(v.name)
      if (!list) return null
      const summed = list.length === 1 ? list[0] : op.sum(g, list)
      pending.set(v.name, [summed])
      return summed
    }
    for (let i = tape.length - 1; i >= 0; i--) {
      const e: TapeEntry = tape[i]
      const needs = e.inputs.map((v) => live.has(v.name))
      if (!needs.some(Boolean)) continue
      const dOut = e.outputs.map(total)
      if (dOut.every((d) => d === null)) continue
      const rule = rules[e.op]
      if (!rule) throw new Error(`No gradient for ${e.op} (output ${e.outputs[0].name})`)
      const dIn = rule(g, e, dOut, needs)
      dIn.forEach((d, k) => {
        if (d && needs[k]) contribute(e.inputs[k], d)
      })
    }
    return wrt.map((v) => total(v) ?? g.constant(new Array((v.shape as number[]).reduce((a, b) => a * b, 1)).fill(0), v.shape as number[]))
  } finally {
    g.recording = recording
  }
}

/**
 * Does a model file do what its manifest says? Compares the graph's real inputs and outputs (read from
 * the file) with the manifest's, and lists every difference in plain words.
 */
import { LabError } from '../../errors'
import type { ModelManifest, TensorSpec } from './manifest'
import type { OnnxGraphInfo } from './onnx-inspect'

function showShape(shape: (number | string)[]): string {
  return `[${shape.join(', ')}]`
}

function compareTensor(kind: 'input' | 'output', declared: TensorSpec, real: TensorSpec): string[] {
  const problems: string[] = []
  if (declared.dtype !== real.dtype) problems.push(`${kind} "${declared.name}" is ${real.dtype} in the graph, but the manifest says ${declared.dtype}`)
  if (declared.shape.length !== real.shape.length) {
    problems.push(`${kind} "${declared.name}" has shape ${showShape(real.shape)} in the graph, but the manifest says ${showShape(declared.shape)}`)
    return problems
  }
  declared.shape.forEach((d, i) => {
    const r = real.shape[i]
    // A fixed size must match; a symbolic one in the manifest must be symbolic in the graph too.
    if (typeof d === 'number' && typeof r === 'number' && d !== r) {
      problems.push(`${kind} "${declared.name}" has size ${r} in dimension ${i} in the graph, but the manifest says ${d}`)
    } else if (typeof d === 'string' && typeof r === 'number') {
      problems.push(`${kind} "${declared.name}" is fixed to ${r} in dimension ${i} in the graph, but the manifest says it varies ("${d}")`)
    }
  })
  return problems
}

/** Every difference between the manifest and the graph; empty when they agree. */
export function graphProblems(manifest: ModelManifest, graph: OnnxGraphInfo): string[] {
  const problems: string[] = []
  const realInputs = new Map(graph.inputs.map((i) => [i.name, i]))
  const realOutputs = new Map(graph.outputs.map((o) => [o.name, o]))
  for (const input of manifest.inputs) {
    const real = realInputs.get(input.name)
    if (!real) problems.push(`the graph has no input "${input.name}" (it has ${[...realInputs.keys()].map((n) => `"${n}"`).join(', ') || 'none'})`)
    else problems.push(...compareTensor('input', input, real))
  }
  const declaredInputs = new Set(manifest.inputs.map((i) => i.name))
  for (const real of graph.inputs) {
    if (!declaredInputs.has(real.name)) problems.push(`the graph needs an input "${real.name}" that the manifest does not describe`)
  }
  for (const output of manifest.outputs) {
    const real = realOutputs.get(output.name)
    if (!real) problems.push(`the graph has no output "${output.name}" (it has ${[...realOutputs.keys()].map((n) => `"${n}"`).join(', ')})`)
    else problems.push(...compareTensor('output', output, real))
    const labels = output.labels?.length
    const last = output.shape[output.shape.length - 1]
    if (labels && typeof last === 'number' && labels !== last) {
      problems.push(`output "${output.name}" has ${last} values per item but the manifest lists ${labels} labels`)
    }
  }
  return problems
}

export function assertGraphMatches(manifest: ModelManifest, graph: OnnxGraphInfo, file: string): void {
  const problems = graphProblems(manifest, graph)
  if (problems.length > 0) {
    throw new LabError('bad_input', `${file} does not match its manifest: ${problems.join('; ')}.`, { file, problems })
  }
}

/**
 * Reads an ONNX file's structure without running it: its real inputs and outputs (names, element types,
 * shapes), opsets and operators. Refuses what is not an ONNX model, or is cut short, with a message that
 * says which.
 */
import onnxProto from 'onnx-proto'
import type { onnx as OnnxTypes } from 'onnx-proto'
import { LabError } from '../../errors'
import { onnxDataType, type OnnxDType, type ValueSpec } from './onnx-build'

const { onnx } = onnxProto

export interface OnnxGraphInfo {
  irVersion: number
  opsets: { domain: string; version: number }[]
  producer: string
  /** Graph inputs that are not initializers: what a caller must feed. */
  inputs: ValueSpec[]
  outputs: ValueSpec[]
  operators: string[]
  nodeCount: number
  metadata: Record<string, string>
}

const dtypeByCode = new Map<number, OnnxDType>(Object.entries(onnxDataType).map(([k, v]) => [v, k as OnnxDType]))

type Long = { toNumber(): number }
function num(v: number | Long | null | undefined): number {
  if (v == null) return 0
  return typeof v === 'number' ? v : v.toNumber()
}

/** Recognisable non-ONNX files, for a clearer refusal. */
function sniff(bytes: Uint8Array): string | null {
  const is = (sig: number[]): boolean => sig.every((b, i) => bytes[i] === b)
  if (is([0x89, 0x50, 0x4e, 0x47])) return 'a PNG image'
  if (is([0xff, 0xd8, 0xff])) return 'a JPEG image'
  if (is([0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive'
  if (is([0x25, 0x50, 0x44, 0x46])) return 'a PDF document'
  if (bytes.length > 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM') return 'a DICOM file'
  if (bytes[0] === 0x7b || bytes[0] === 0x5b) return 'a JSON or text file'
  return null
}

function valueSpec(v: OnnxTypes.IValueInfoProto, file: string): ValueSpec {
  const tensor = v.type?.tensorType
  if (!tensor) throw new LabError('unsupported', `${file}: the graph value "${v.name}" is not a tensor.`, { file })
  const dtype = dtypeByCode.get(tensor.elemType ?? 0)
  if (!dtype) {
    throw new LabError('unsupported', `${file}: the graph value "${v.name}" has an unsupported element type (${tensor.elemType}).`, { file })
  }
  const shape = (tensor.shape?.dim ?? []).map((d, i) =>
    d.dimParam ? d.dimParam : d.dimValue != null && num(d.dimValue) > 0 ? num(d.dimValue) : `dim${i}`
  )
  return { name: v.name ?? '', dtype, shape }
}

/**
 * Decodes and checks an ONNX file. `file` names it in messages. Throws LabError('bad_input') for an
 * empty, foreign, truncated or incomplete file.
 */
export function inspectOnnx(bytes: Uint8Array, file: string): OnnxGraphInfo {
  if (bytes.length === 0) throw new LabError('bad_input', `${file} is empty (0 bytes): it is not an ONNX model.`, { file })
  const foreign = sniff(bytes)
  if (foreign) throw new LabError('bad_input', `${file} is ${foreign}, not an ONNX model.`, { file })
  let model: OnnxTypes.ModelProto
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (err) {
    const message = (err as Error).message
    if (/index out of range/i.test(message)) {
      throw new LabError('bad_input', `${file} ends too early (${bytes.length} bytes): the ONNX file is truncated or was not copied completely.`, { file })
    }
    throw new LabError('bad_input', `${file} is not an ONNX model: it could not be read as one (${message}).`, { file })
  }
  const graph = model.graph
  if (!graph || num(model.irVersion) <= 0 || (graph.node ?? []).length === 0) {
    throw new LabError('bad_input', `${file} is not an ONNX model: it has no graph of operators.`, { file })
  }
  if ((model.opsetImport ?? []).length === 0) {
    throw new LabError('bad_input', `${file} is incomplete: it declares no operator set (truncated file?).`, { file })
  }
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''))
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map((v) => valueSpec(v, file))
  const outputs = (graph.output ?? []).map((v) => valueSpec(v, file))
  if (outputs.length === 0) throw new LabError('bad_input', `${file} is incomplete: its graph has no outputs (truncated file?).`, { file })

  // Every value a node reads must come from somewhere: a file cut between fields decodes, but dangles.
  const available = new Set<string>([...initializers, ...inputs.map((i) => i.name), ''])
  for (const node of graph.node ?? []) {
    for (const name of node.input ?? []) {
      if (!available.has(name)) {
        throw new LabError('bad_input', `${file} is incomplete: node "${node.name || node.opType}" reads "${name}", which nothing produces (truncated file?).`, { file })
      }
    }
    for (const name of node.output ?? []) available.add(name)
  }
  const missing = outputs.filter((o) => !available.has(o.name))
  if (missing.length > 0) {
    throw new LabError('bad_input', `${file} is incomplete: nothing computes the output${missing.length > 1 ? 's' : ''} ${missing.map((o) => `"${o.name}"`).join(', ')}.`, { file })
  }
  return {
    irVersion: num(model.irVersion),
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: num(o.version) })),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    inputs,
    outputs,
    operators: [...new Set((graph.node ?? []).map((n) => n.opType ?? ''))].sort(),
    nodeCount: (graph.node ?? []).length,
    metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']))
  }
}

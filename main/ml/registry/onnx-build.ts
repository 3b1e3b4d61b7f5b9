/**
 * Writes small ONNX models (the converted backbone, closed-form heads, the runtime's probe model) with
 * onnx-proto. The bytes depend only on the spec: no timestamps, fields written in a fixed order, so the
 * same spec always gives the same file.
 */
import onnxProto from 'onnx-proto'
import type { onnx as OnnxTypes } from 'onnx-proto'
import type { TensorSpec } from './manifest'

const { onnx } = onnxProto

export type OnnxDType = TensorSpec['dtype']

/** ONNX TensorProto.DataType codes. */
export const onnxDataType: Record<OnnxDType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }

export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  ints: (value: number[]): AttributeValue => ({ kind: 'ints', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  floats: (value: number[]): AttributeValue => ({ kind: 'floats', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value })
}

export interface NodeSpec {
  op: string
  inputs: string[]
  outputs: string[]
  name?: string
  attributes?: Record<string, AttributeValue>
}

export interface InitializerSpec {
  name: string
  dims: number[]
  data: Float32Array | BigInt64Array | Int32Array
}

export interface ValueSpec {
  name: string
  dtype: OnnxDType
  /** A string is a symbolic dimension (e.g. 'batch'). */
  shape: (number | string)[]
}

export interface ModelSpec {
  graphName: string
  inputs: ValueSpec[]
  outputs: ValueSpec[]
  nodes: NodeSpec[]
  initializers: InitializerSpec[]
  /** Default opset 13. */
  opset?: number
  producer?: { name: string; version: string }
  docString?: string
  /** Stored in the model's metadata_props, sorted by key. */
  metadata?: Record<string, string>
}

const irVersion = 8 // onnx-proto 8 (ONNX 1.10); onnxruntime reads it

function encodeAttribute(name: string, a: AttributeValue): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value }
    case 'ints':
      return { name, type: T.INTS, ints: a.value }
    case 'float':
      return { name, type: T.FLOAT, f: a.value }
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value }
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) }
  }
}

function valueInfo(v: ValueSpec): OnnxTypes.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnxDataType[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }
      }
    }
  }
}

/** Little-endian bytes of a typed array, whatever the host's byte order. */
function littleEndianBytes(data: InitializerSpec['data']): Uint8Array {
  const out = new Uint8Array(data.byteLength)
  const view = new DataView(out.buffer)
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(i * 4, v, true))
  else if (data instanceof Int32Array) data.forEach((v, i) => view.setInt32(i * 4, v, true))
  else data.forEach((v, i) => view.setBigInt64(i * 8, v, true))
  return out
}

function initializerType(data: InitializerSpec['data']): number {
  if (data instanceof Float32Array) return onnxDataType.float32
  if (data instanceof Int32Array) return onnxDataType.int32
  return onnxDataType.int64
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion,
    producerName: spec.producer?.name ?? 'lightbox',
    producerVersion: spec.producer?.version ?? '',
    docString: spec.docString ?? '',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    metadataProps: Object.keys(spec.metadata ?? {})
      .sort()
      .map((key) => ({ key, value: spec.metadata![key] })),
    graph: {
      name: spec.graphName,
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([name, a]) => encodeAttribute(name, a))
      })),
      initializer: spec.initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        dataType: initializerType(t.data),
        rawData: littleEndianBytes(t.data)
      })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo)
    }
  })
  const bytes = onnx.ModelProto.encode(model).finish()
  // A plain Uint8Array (protobufjs gives a Buffer in Node), the same on both sides of IPC.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Writes a Graph as an ONNX ModelProto (onnx-proto's generated protobufjs classes). */
import onnxProto, { type onnx as Onnx } from 'onnx-proto'
import type { Attr, DType, Graph, Initializer, Value } from './graph'

// onnx-proto is CommonJS: its namespace arrives as the default export under Node's ESM loader.
const { onnx } = onnxProto
const IR_VERSION = 8

const dataTypes: Record<DType, Onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
  uint8: onnx.TensorProto.DataType.UINT8
}

function valueInfo(v: Value): Onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: dataTypes[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }
      }
    }
  }
}

function tensorProto(t: Initializer): Onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)
  return { name: t.name, dataType: dataTypes[t.dtype], dims: t.dims, rawData: bytes }
}

function attributeProto(name: string, a: Attr): Onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value }
    case 'float':
      return { name, type: T.FLOAT, f: a.value }
    case 'ints':
      return { name, type: T.INTS, ints: a.value }
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value }
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) }
  }
}

export function encodeModel(g: Graph, docString: string): Uint8Array {
  const domains = new Set(g.nodes.map((n) => n.domain).filter((d) => d !== ''))
  const model: Onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'lightbox',
    producerVersion: '1',
    docString,
    opsetImport: [{ domain: '', version: g.opset }, ...[...domains].map((domain) => ({ domain, version: 1 }))],
    graph: {
      name: g.name,
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      initializer: g.initializers.map(tensorProto),
      node: g.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, a]) => attributeProto(k, a))
      }))
    }
  }
  return onnx.ModelProto.encode(model).finish()
}

/** Reads back a model (tests, export checks). */
export function decodeModel(bytes: Uint8Array): Onnx.ModelProto {
  return onnx.ModelProto.decode(bytes)
}

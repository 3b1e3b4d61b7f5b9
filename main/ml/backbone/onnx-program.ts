/**
 * Writes a converted program (keras-program.ts) as an ONNX graph: Conv (+ Clip for ReLU6, Relu), Add,
 * GlobalAveragePool + Flatten. onnxruntime fuses Conv with the activation that follows and reorders the
 * convolutions to its blocked layout when it loads the model; nothing here depends on the machine.
 */
import { attr, encodeModel, type ModelSpec, type NodeSpec } from '../registry/onnx-build'
import type { Program, TensorShape } from './keras-program'

export interface OnnxProgramOptions {
  graphName: string
  producer: { name: string; version: string }
  docString?: string
  metadata?: Record<string, string>
  /** Name of the symbolic batch dimension. */
  batch?: string
}

function shapeOf(s: TensorShape, batch: string): (number | string)[] {
  return s.spatial ? [batch, s.channels, s.height, s.width] : [batch, s.channels]
}

export function programToOnnx(program: Program, options: OnnxProgramOptions): Uint8Array {
  const batch = options.batch ?? 'batch'
  // Graph outputs take their public names; every use of the tensor is renamed with it.
  const rename = new Map(program.outputs.map((o) => [o.tensor, o.name]))
  const t = (name: string): string => rename.get(name) ?? name
  const nodes: NodeSpec[] = []
  const initializers: ModelSpec['initializers'] = []
  const clipBounds = { min: 'relu6_min', max: 'relu6_max' }
  let usesClip = false

  for (const op of program.ops) {
    switch (op.op) {
      case 'conv': {
        const [, , kh, kw] = op.weightShape
        initializers.push({ name: `${op.name}.weight`, dims: [...op.weightShape], data: op.weight })
        initializers.push({ name: `${op.name}.bias`, dims: [op.weightShape[0]], data: op.bias })
        const convOut = op.activation === 'none' ? t(op.output) : `${op.name}.conv`
        nodes.push({
          op: 'Conv',
          name: `${op.name}.conv`,
          inputs: [t(op.input), `${op.name}.weight`, `${op.name}.bias`],
          outputs: [convOut],
          attributes: {
            kernel_shape: attr.ints([kh, kw]),
            strides: attr.ints([...op.stride]),
            pads: attr.ints([op.pads[0], op.pads[1], op.pads[2], op.pads[3]]),
            group: attr.int(op.group),
            dilations: attr.ints([1, 1])
          }
        })
        if (op.activation === 'relu6') {
          usesClip = true
          nodes.push({ op: 'Clip', name: `${op.name}.relu6`, inputs: [convOut, clipBounds.min, clipBounds.max], outputs: [t(op.output)] })
        } else if (op.activation === 'relu') {
          nodes.push({ op: 'Relu', name: `${op.name}.relu`, inputs: [convOut], outputs: [t(op.output)] })
        }
        break
      }
      case 'add':
        nodes.push({ op: 'Add', name: op.name, inputs: [t(op.inputs[0]), t(op.inputs[1])], outputs: [t(op.output)] })
        break
      case 'globalavgpool':
        nodes.push({ op: 'GlobalAveragePool', name: `${op.name}.gap`, inputs: [t(op.input)], outputs: [`${op.name}.gap`] })
        nodes.push({ op: 'Flatten', name: `${op.name}.flatten`, inputs: [`${op.name}.gap`], outputs: [t(op.output)], attributes: { axis: attr.int(1) } })
        break
    }
  }
  if (usesClip) {
    initializers.push({ name: clipBounds.min, dims: [], data: new Float32Array([0]) })
    initializers.push({ name: clipBounds.max, dims: [], data: new Float32Array([6]) })
  }
  return encodeModel({
    graphName: options.graphName,
    producer: options.producer,
    docString: options.docString,
    metadata: options.metadata,
    opset: 13,
    inputs: [{ name: program.input.name, dtype: 'float32', shape: shapeOf(program.input, batch) }],
    outputs: program.outputs.map((o) => ({ name: o.name, dtype: 'float32', shape: shapeOf(o.shape, batch) })),
    nodes,
    initializers
  })
}

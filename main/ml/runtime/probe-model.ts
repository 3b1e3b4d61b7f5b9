/**
 * The smallest useful test of a provider: a 1×1 convolution plus ReLU (ops every provider implements),
 * created and run once before the provider is trusted with real models.
 */
import { attr, encodeModel } from '../registry/onnx-build'
import type { TensorData } from './runtime'

let bytes: Uint8Array | null = null

export function probeModelBytes(): Uint8Array {
  bytes ??= encodeModel({
    graphName: 'provider_probe',
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 2, 2] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 2, 2, 2] }],
    initializers: [
      { name: 'w', dims: [2, 2, 1, 1], data: new Float32Array([1, -1, 0.5, 0.5]) },
      { name: 'b', dims: [2], data: new Float32Array([0, 0.25]) }
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attributes: { kernel_shape: attr.ints([1, 1]) } },
      { op: 'Relu', inputs: ['c'], outputs: ['y'] }
    ]
  })
  return bytes
}

export function probeFeeds(): Record<string, TensorData> {
  return { x: { dtype: 'float32', data: new Float32Array([1, 2, 3, 4, 0.5, 0.5, 0.5, 0.5]), dims: [1, 2, 2, 2] } }
}

/** Small real ONNX models and manifests for the registry tests. */
import { attr, encodeModel } from '../../../main/ml/registry/onnx-build'
import type { ModelManifestInput } from '../../../main/ml/registry/manifest'

/** A linear head: features [batch, 4] → logits [batch, 2] (Gemm). */
export function linearHead(outputName = 'logits', classes = 2): Uint8Array {
  return encodeModel({
    graphName: 'head',
    inputs: [{ name: 'features', dtype: 'float32', shape: ['batch', 4] }],
    outputs: [{ name: outputName, dtype: 'float32', shape: ['batch', classes] }],
    initializers: [
      { name: 'w', dims: [4, classes], data: Float32Array.from({ length: 4 * classes }, (_, i) => (i % 3) - 1) },
      { name: 'b', dims: [classes], data: new Float32Array(classes).fill(0.5) }
    ],
    nodes: [{ op: 'Gemm', inputs: ['features', 'w', 'b'], outputs: [outputName], attributes: { alpha: attr.float(1) } }]
  })
}

export function headManifest(over: Partial<ModelManifestInput> = {}): ModelManifestInput {
  return {
    schemaVersion: 1,
    name: 'pneumonia-head',
    version: '1',
    parent: null,
    task: 'xray-covid',
    labels: ['normal', 'pneumonia'],
    inputs: [{ name: 'features', shape: ['batch', 4], dtype: 'float32', layout: 'NC' }],
    outputs: [{ name: 'logits', shape: ['batch', 2], dtype: 'float32', kind: 'logits', activation: 'softmax', labels: ['normal', 'pneumonia'] }],
    training: null,
    created: '2026-02-03T10:00:00.000Z',
    ...over
  }
}

/** The ONNX graph builder: what it writes loads and runs in onnxruntime; names, constants, shapes. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Graph } from '../../../main/ml/graph/graph'
import * as nn from '../../../main/ml/graph/nn'
import * as op from '../../../main/ml/graph/ops'
import { decodeModel } from '../../../main/ml/graph/proto'
import { createSession, loadOrt } from '../../../main/ml/runtime/ort'
import { inferShapes } from '../../../main/ml/train'

describe('graph builder', () => {
  it('writes a model onnxruntime loads and runs, with static and symbolic shapes', async () => {
    const ort = await loadOrt()
    const g = new Graph('demo')
    const x = g.input('x', ['batch', 3])
    const w = g.initializer('w', Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2])
    const y = op.relu(g, op.add(g, op.matMul(g, x, w), g.constant([-10, 0], [2])))
    assert.deepEqual(y.shape, ['batch', 2])
    g.output(y, 'y')
    const bytes = g.toModelBytes()
    const proto = decodeModel(bytes)
    assert.equal(Number(proto.opsetImport![0].version), 17)
    assert.equal(proto.graph!.input![0].type!.tensorType!.shape!.dim![0].dimParam, 'batch')
    const session = await createSession(bytes, { threads: 1 })
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 1, 2, 0, 1]), [2, 3]) })
    await session.release()
    assert.deepEqual([...(out.y.data as Float32Array)], [0, 12, 0, 10])
  })

  it('renames outputs in place, deduplicates constants and refuses duplicate names', () => {
    const g = new Graph()
    const a = g.input('a', [2])
    const b = op.neg(g, a)
    const c = op.exp(g, b)
    g.output(b, 'negated')
    assert.equal(g.nodes.filter((n) => n.opType === 'Identity').length, 0)
    assert.ok(g.nodes.find((n) => n.opType === 'Exp')!.inputs.includes('negated'))
    g.output(a, 'a_copy')
    assert.equal(g.nodes.filter((n) => n.opType === 'Identity').length, 1)
    assert.equal(g.scalar(2).name, g.scalar(2).name)
    assert.notEqual(g.scalar(2).name, g.scalar(3).name)
    assert.throws(() => g.input('a', [1]), /already used/)
    void c
  })

  it('infers convolution and pooling shapes; the network spec gives per-layer shapes', () => {
    const g = new Graph()
    const x = g.input('x', [4, 3, 15, 15])
    const y = nn.conv(g, x, g.input('w', [8, 3, 3, 3]), null, { strides: [2, 2], pads: [1, 1, 1, 1] })
    assert.deepEqual(y.shape, [4, 8, 8, 8])
    assert.deepEqual(nn.maxPool(g, y, { kernel: [3, 3], strides: [2, 2] }).shape, [4, 8, 3, 3])
    const shapes = inferShapes({
      inputs: [{ name: 'img', shape: [1, 28, 28] }],
      layers: [{ type: 'conv', filters: 4, kernel: 5, name: 'c' }, { type: 'maxpool', kernel: 2, name: 'p' }, { type: 'flatten', name: 'f' }, { type: 'dense', units: 3, name: 'd' }],
      heads: []
    })
    assert.deepEqual(shapes.outputOf.get('c'), [4, 24, 24])
    assert.deepEqual(shapes.outputOf.get('f'), [576])
    assert.deepEqual(shapes.inputOf.get('d'), [576])
  })
})

import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ModelRegistry } from '../../../main/ml/registry/registry'
import { inspectOnnx } from '../../../main/ml/registry/onnx-inspect'
import { ModelRuntime } from '../../../main/ml/runtime/runtime'
import { headManifest, linearHead } from './registry-fixtures'

const json = (v: unknown): string => JSON.stringify(v)

describe('model registry: import checks', () => {
  let dataDir: string
  let resourcesDir: string
  let registry: ModelRegistry
  const runtime = new ModelRuntime({ settings: async () => ({ preferredDevice: 'cpu', inferenceThreads: 1 }) })

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-registry-'))
    resourcesDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-resources-'))
    registry = new ModelRegistry(dataDir, resourcesDir, runtime)
  })
  after(async () => {
    await runtime.releaseAll()
    await rm(dataDir, { recursive: true, force: true })
    await rm(resourcesDir, { recursive: true, force: true })
  })

  it('reads the real inputs and outputs of a graph', () => {
    const info = inspectOnnx(linearHead(), 'head.onnx')
    assert.deepEqual(info.inputs, [{ name: 'features', dtype: 'float32', shape: ['batch', 4] }])
    assert.deepEqual(info.outputs, [{ name: 'logits', dtype: 'float32', shape: ['batch', 2] }])
    assert.deepEqual(info.operators, ['Gemm'])
  })

  it('imports a model whose graph matches its manifest, recording its SHA-256', async () => {
    const model = await registry.import({ fileName: 'head.onnx', model: linearHead(), manifest: json(headManifest()) })
    assert.equal(model.id, 'pneumonia-head@1')
    const stored = JSON.parse(await readFile(path.join(model.dir, 'manifest.json'), 'utf8'))
    assert.match(stored.sha256, /^[0-9a-f]{64}$/)
    assert.deepEqual(new Uint8Array(await readFile(model.modelFile)), linearHead())
    const [summary] = await registry.list()
    assert.equal(summary.source, 'user')
    assert.equal(summary.available, true)
    assert.equal(summary.active, false, 'an imported model waits to be promoted')
  })

  it('refuses a second model with the same name and version', async () => {
    await assert.rejects(registry.import({ fileName: 'head.onnx', model: linearHead(), manifest: json(headManifest()) }), {
      code: 'conflict',
      message: /A model pneumonia-head@1 already exists/
    })
  })

  it('refuses a graph whose outputs do not match the manifest, saying what differs', async () => {
    await assert.rejects(registry.import({ fileName: 'other.onnx', model: linearHead('scores', 3), manifest: json(headManifest({ version: '2' })) }), (err: Error & { code: string }) => {
      assert.equal(err.code, 'bad_input')
      assert.match(err.message, /^other\.onnx does not match its manifest: /)
      assert.match(err.message, /the graph has no output "logits" \(it has "scores"\)/)
      return true
    })
    const wrongShape = headManifest({ version: '2', inputs: [{ name: 'features', shape: ['batch', 1280], dtype: 'float32', layout: 'NC' }] })
    await assert.rejects(registry.import({ fileName: 'h.onnx', model: linearHead(), manifest: json(wrongShape) }), /input "features" has size 4 in dimension 1 in the graph, but the manifest says 1280/)
    const labels = headManifest({ version: '2', outputs: [{ name: 'logits', shape: ['batch', 2], dtype: 'float32', kind: 'logits', labels: ['a', 'b', 'c'] }] })
    await assert.rejects(registry.import({ fileName: 'h.onnx', model: linearHead(), manifest: json(labels) }), /has 2 values per item but the manifest lists 3 labels/)
  })

  it('refuses files that are not ONNX models', async () => {
    const manifest = json(headManifest({ version: '3' }))
    const pngBytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])
    await assert.rejects(registry.import({ fileName: 'scan.png', model: pngBytes, manifest }), { code: 'bad_input', message: 'scan.png is a PNG image, not an ONNX model.' })
    await assert.rejects(registry.import({ fileName: 'notes.txt', model: new TextEncoder().encode('hello, this is text'), manifest }), /notes\.txt is not an ONNX model/)
    await assert.rejects(registry.import({ fileName: 'empty.onnx', model: new Uint8Array(0), manifest }), /empty\.onnx is empty \(0 bytes\)/)
  })

  it('refuses truncated ONNX files wherever they were cut', async () => {
    const whole = linearHead()
    const manifest = json(headManifest({ version: '4' }))
    const cut = whole.subarray(0, Math.floor(whole.length * 0.8))
    await assert.rejects(registry.import({ fileName: 'cut.onnx', model: cut, manifest }), {
      code: 'bad_input',
      message: `cut.onnx ends too early (${cut.length} bytes): the ONNX file is truncated or was not copied completely.`
    })
    // Every shorter prefix, including cuts between fields that decode cleanly, is refused.
    for (let n = 1; n < whole.length; n++) {
      assert.throws(() => inspectOnnx(whole.subarray(0, n), 'cut.onnx'), /^LabError: cut\.onnx (ends too early|is incomplete|is not an ONNX model)/, `cut at ${n} bytes`)
    }
  })

  it('refuses an invalid manifest, naming the fields', async () => {
    const bad = { ...headManifest({ version: '5' }), task: 'astrology', name: 'Bad Name' }
    await assert.rejects(registry.import({ fileName: 'h.onnx', model: linearHead(), manifest: json(bad), manifestName: 'h.json' }), (err: Error) => {
      assert.match(err.message, /^h\.json is not a valid model manifest: /)
      assert.match(err.message, /name: /)
      assert.match(err.message, /task: must be one of/)
      return true
    })
    await assert.rejects(registry.import({ fileName: 'h.onnx', model: linearHead(), manifest: '{not json', manifestName: 'h.json' }), /h\.json is not valid JSON/)
  })

  it('refuses a file whose SHA-256 differs from its manifest', async () => {
    const m = headManifest({ version: '6', sha256: 'a'.repeat(64) })
    await assert.rejects(registry.import({ fileName: 'h.onnx', model: linearHead(), manifest: json(m) }), /is not the file the manifest describes: its SHA-256 is/)
  })

  it('leaves nothing behind after refused imports', async () => {
    const entries = await readdir(path.join(dataDir, 'models'), { recursive: true })
    assert.deepEqual(entries.map(String).sort(), ['pneumonia-head', 'pneumonia-head/1', 'pneumonia-head/1/manifest.json', 'pneumonia-head/1/model.onnx'])
  })
})

describe('model registry: promote, roll back, delete', () => {
  let dataDir: string
  let resourcesDir: string
  let registry: ModelRegistry

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-registry-'))
    resourcesDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-resources-'))
    // A shipped model for the task: the default until something is promoted.
    const shipped = path.join(resourcesDir, 'models', 'pneumonia-head')
    await (await import('node:fs/promises')).mkdir(shipped, { recursive: true })
    await writeFile(path.join(shipped, 'model.onnx'), linearHead())
    await writeFile(path.join(shipped, 'manifest.json'), json(headManifest({ version: '0-shipped' })))
    registry = new ModelRegistry(dataDir, resourcesDir)
    for (const v of ['1', '2']) await registry.import({ fileName: `v${v}.onnx`, model: linearHead(), manifest: json(headManifest({ version: v, parent: 'pneumonia-head@0-shipped' })) })
  })
  after(async () => {
    await rm(dataDir, { recursive: true, force: true })
    await rm(resourcesDir, { recursive: true, force: true })
  })

  const activeId = async (): Promise<string | undefined> => (await registry.list()).find((m) => m.active)?.id

  it('uses the shipped model until another is promoted, and rolls back step by step', async () => {
    assert.equal(await activeId(), 'pneumonia-head@0-shipped')
    await registry.promote('pneumonia-head@1')
    assert.equal(await activeId(), 'pneumonia-head@1')
    await registry.promote('pneumonia-head@2')
    assert.equal(await activeId(), 'pneumonia-head@2')
    assert.equal((await registry.rollback('xray-covid')).id, 'pneumonia-head@1')
    assert.equal(await activeId(), 'pneumonia-head@1')
    assert.equal((await registry.rollback('xray-covid')).id, 'pneumonia-head@0-shipped')
    await assert.rejects(registry.rollback('xray-covid'), { code: 'conflict', message: 'There is no earlier xray-covid model to roll back to.' })
  })

  it('never deletes the active model without a replacement, nor a shipped one', async () => {
    await registry.promote('pneumonia-head@2')
    await assert.rejects(registry.delete('pneumonia-head@2'), { code: 'conflict', message: /is the active xray-covid model: choose a replacement/ })
    await assert.rejects(registry.delete('pneumonia-head@2', 'pneumonia-head@2'), /cannot replace itself/)
    await assert.rejects(registry.delete('pneumonia-head@0-shipped'), { code: 'unsupported' })
    assert.equal(await activeId(), 'pneumonia-head@2')
    await registry.delete('pneumonia-head@2', 'pneumonia-head@1')
    const ids = (await registry.list()).map((m) => m.id)
    assert.deepEqual(ids, ['pneumonia-head@0-shipped', 'pneumonia-head@1'])
    assert.equal(await activeId(), 'pneumonia-head@1')
    // The deleted model is gone from the roll-back history too.
    assert.equal((await registry.rollback('xray-covid')).id, 'pneumonia-head@0-shipped')
  })

  it('deletes an inactive model and refuses to promote a model whose file changed on disk', async () => {
    await registry.import({ fileName: 'v3.onnx', model: linearHead(), manifest: json(headManifest({ version: '3' })) })
    const v3 = await registry.get('pneumonia-head@3')
    await writeFile(v3.modelFile, linearHead('logits', 2).map((b, i) => (i === 40 ? b ^ 1 : b)))
    await assert.rejects(registry.promote('pneumonia-head@3'), /has changed since pneumonia-head@3 was stored/)
    await registry.delete('pneumonia-head@3')
    await assert.rejects(registry.get('pneumonia-head@3'), { code: 'not_found' })
  })
})

describe('model registry: tasks with variants (one active model per stain)', () => {
  let dataDir: string
  let resourcesDir: string
  let registry: ModelRegistry
  const chromosome = (variant: string | undefined, over: Parameters<typeof headManifest>[0] = {}) =>
    headManifest({ name: `chromosome-${variant ?? 'any'}`, task: 'chromosome-classification', variant, ...over })

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-registry-'))
    resourcesDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-resources-'))
    const { mkdir } = await import('node:fs/promises')
    for (const variant of ['gband', 'qband']) {
      const shipped = path.join(resourcesDir, 'models', `chromosome-${variant}`)
      await mkdir(shipped, { recursive: true })
      await writeFile(path.join(shipped, 'model.onnx'), linearHead())
      await writeFile(path.join(shipped, 'manifest.json'), json(chromosome(variant, { version: 'shipped' })))
    }
    registry = new ModelRegistry(dataDir, resourcesDir)
  })
  after(async () => {
    await rm(dataDir, { recursive: true, force: true })
    await rm(resourcesDir, { recursive: true, force: true })
  })

  it('refuses a chromosome classifier that does not say its variant, or names an unknown one, and a variant where the task has none', async () => {
    const refused = (manifest: unknown, message: RegExp) => assert.rejects(registry.import({ fileName: 'm.onnx', model: linearHead(), manifest: json(manifest) }), { code: 'bad_input', message })
    await refused(chromosome(undefined), /variant: a chromosome-classification model must say which it is \(gband or qband\)/)
    await refused(chromosome('cband'), /variant: "cband" is not one of gband, qband/)
    await refused(headManifest({ variant: 'gband' }), /variant: a xray-covid model has no variant \(it says "gband"\)/)
  })

  it('keeps a G-band and a Q-band model active side by side; promoting, rolling back and deleting stay within a variant', async () => {
    const active = async (variant: string) => (await registry.active('chromosome-classification', variant))?.id
    assert.equal(await active('gband'), 'chromosome-gband@shipped')
    assert.equal(await active('qband'), 'chromosome-qband@shipped')
    const slots = (await registry.list()).map((m) => [m.id, m.slot, m.active])
    assert.deepEqual(slots, [
      ['chromosome-gband@shipped', 'chromosome-classification/gband', true],
      ['chromosome-qband@shipped', 'chromosome-classification/qband', true]
    ])

    await registry.import({ fileName: 'g2.onnx', model: linearHead(), manifest: json(chromosome('gband', { version: 'lab-2' })) })
    await registry.promote('chromosome-gband@lab-2')
    assert.equal(await active('gband'), 'chromosome-gband@lab-2')
    assert.equal(await active('qband'), 'chromosome-qband@shipped', 'the Q-band model is untouched')

    await assert.rejects(registry.delete('chromosome-gband@lab-2', 'chromosome-qband@shipped'), {
      code: 'invalid_argument',
      message: 'chromosome-qband@shipped is a chromosome-classification/qband model; chromosome-gband@lab-2 needs a chromosome-classification/gband replacement.'
    })
    await assert.rejects(registry.rollback('chromosome-classification'), { code: 'invalid_argument', message: /No model is for "chromosome-classification" \(there are: chromosome-classification\/gband, chromosome-classification\/qband\)/ })
    await assert.rejects(registry.rollback('chromosome-classification/qband'), { code: 'conflict' })
    assert.equal((await registry.rollback('chromosome-classification/gband')).id, 'chromosome-gband@shipped')
    assert.equal(await active('gband'), 'chromosome-gband@shipped')
  })
})

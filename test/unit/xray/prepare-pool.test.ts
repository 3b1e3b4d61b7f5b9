/**
 * Model inputs prepared on worker threads (main/xray/prepare): the same values, to the bit, as on the
 * calling thread; buffers transferred; decode failures reported per image as LabErrors naming the file;
 * and no onnxruntime anywhere in the worker's code (onnxruntime issue #20084).
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { repoRoot } from '../../../main/app/paths'
import { LabError } from '../../../main/errors'
import { createGrey } from '../../../main/imaging/raster'
import { inputSpecSchema } from '../../../main/ml/registry/manifest'
import { modelInput, xrayRaster } from '../../../main/xray'
import { preparedBatches } from '../../../main/xray/prepare/batches'
import { prepareBatch } from '../../../main/xray/prepare/prepare-batch'
import { PreparePool } from '../../../main/xray/prepare/prepare-pool'
import type { FeatureSource } from '../../../main/xray/prepare/source'

const samplesDir = path.join(repoRoot, '..', 'shared', 'datasets', 'xray', 'samples')
const crFile = path.join(samplesDir, '1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm')
const pngFile = path.join(samplesDir, '00000001_000.png')
const mono1File = path.join(samplesDir, 'Fake_MONOHR1.dcm')
const spec = JSON.parse(readFileSync(path.join(repoRoot, 'resources', 'models', 'mobilenet-v2', 'manifest.json'), 'utf8')).inputs[0]
const per = 3 * 224 * 224

describe('model inputs prepared on worker threads', () => {
  const pool = new PreparePool(2)
  after(() => pool.close())

  it('equal, bit for bit, the calling thread’s for files, bytes and rasters', async () => {
    const crBytes = new Uint8Array(readFileSync(crFile))
    const copy = crBytes.slice()
    const raster = createGrey(300, 200, Uint8Array.from({ length: 300 * 200 }, (_, i) => (i * 7) % 256))
    const sources: FeatureSource[] = [{ path: pngFile }, { bytes: crBytes, name: 'cr.dcm' }, { raster, name: 'ramp' }, { path: mono1File }]
    const batch = await pool.prepare(sources, spec)
    assert.equal(pool.status().workers, 2, 'prepared by the workers')
    assert.equal(pool.status().inThread, null)
    assert.deepEqual(batch.ok, [0, 1, 2, 3])
    assert.ok(batch.data instanceof Float32Array && batch.data.length === 4 * per)
    assert.deepEqual(crBytes, copy, 'the caller’s bytes are neither altered nor detached')
    const here = await prepareBatch(sources, spec)
    assert.deepEqual(batch.data, here.data)
    // …and each image's slice is modelInput of the presented image, as training and inference compute it.
    const direct = await modelInput(await xrayRaster(mono1File), spec)
    assert.deepEqual(batch.data.subarray(3 * per, 4 * per), direct.data)
  })

  it('reports files that cannot be decoded by index, as LabErrors naming them, and packs the rest', async () => {
    const truncated = new Uint8Array(readFileSync(crFile)).subarray(0, 5000)
    const batch = await pool.prepare([{ bytes: truncated, name: 'cut.dcm' }, { path: pngFile }, { path: path.join(samplesDir, 'missing.png') }], spec)
    assert.deepEqual(batch.ok, [1])
    assert.equal(batch.data.length, per)
    assert.deepEqual(batch.failed.map((f) => f.index), [0, 2])
    for (const { error } of batch.failed) assert.ok(error instanceof LabError)
    const [cut, missing] = batch.failed.map((f) => f.error as LabError)
    assert.equal(cut.code, 'bad_input')
    assert.match(cut.message, /cut\.dcm/)
    assert.equal(missing.code, 'not_found')
    assert.match(missing.message, /missing\.png/)
  })

  it('hands out batches in order, several in preparation at once', async () => {
    const sources: FeatureSource[] = Array.from({ length: 7 }, (_, i) => ({ path: i % 2 ? pngFile : crFile }))
    const seen: [number, number, number[]][] = []
    for await (const b of preparedBatches(sources, spec, 3, pool)) seen.push([b.start, b.size, b.ok])
    assert.deepEqual(seen, [[0, 3, [0, 1, 2]], [3, 3, [0, 1, 2]], [6, 1, [0]]])
  })

  it('prepares on the calling thread, identically, when it has no workers', async () => {
    const inThread = new PreparePool(0)
    const sources = [{ path: crFile }]
    assert.deepEqual((await inThread.prepare(sources, spec)).data, (await pool.prepare(sources, spec)).data)
    assert.match(inThread.status().inThread ?? '', /no worker threads/)
  })
})

describe('the preparation worker’s code', () => {
  it('never imports onnxruntime (it crashes in worker threads) nor main/ml/runtime', () => {
    const seen = new Set<string>()
    const bare = new Set<string>()
    const visit = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      const text = readFileSync(file, 'utf8')
      // Value imports only: `import type` is erased and loads nothing.
      for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/gm)) {
        const spec = m[1] ?? m[2]
        if (!spec.startsWith('.')) bare.add(spec)
        else if (!spec.includes('?')) visit(resolveTs(path.resolve(path.dirname(file), spec)))
      }
    }
    const resolveTs = (p: string) => [p, `${p}.ts`, path.join(p, 'index.ts')].find((f) => f.endsWith('.ts') && existsSync(f)) ?? assert.fail(`cannot resolve ${p}`)
    visit(path.join(repoRoot, 'main', 'xray', 'prepare', 'prepare-worker.ts'))
    assert.ok(seen.size > 5, `followed the worker's imports (${seen.size} files)`)
    assert.ok(![...bare].some((b) => b.startsWith('onnxruntime')), `bare imports: ${[...bare].join(', ')}`)
    assert.ok(![...seen].some((f) => f.includes(`${path.sep}ml${path.sep}runtime`)), [...seen].join('\n'))
  })
})

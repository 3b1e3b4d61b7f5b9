import 'fake-indexeddb/auto'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import Dexie from 'dexie'
import type { FeatureCache, FeatureEntry } from '../../../preload/api'
import { repoRoot, sourceResourcesDir } from '../../../main/app/paths'
import { readManifest, sharedDatasetsDir } from '../../../main/datasets/manifest'
import { ensureMobilenet, mobilenetId } from '../../../main/ml/backbone/mobilenet'
import { contentHash, extractFeatures, type Backbone } from '../../../main/ml/features/extract'
import { FileFeatureCache } from '../../../main/ml/features/file-cache'
import { ModelRuntime, type ModelSession } from '../../../main/ml/runtime/runtime'
import { LightboxDB } from '../../../renderer/src/lib/db/database'
import { contentHash as browserHash, DexieFeatureCache } from '../../../renderer/src/lib/db/feature-cache'
import { featuresFor } from '../../../renderer/src/lib/ml/features'

const nihDir = path.join(sharedDatasetsDir(repoRoot), 'xray', 'nih')

function entry(hash: string, seed: number): FeatureEntry {
  return {
    backbone: 'test-backbone@1',
    hash,
    outputs: { features: Float32Array.from({ length: 1280 }, (_, i) => Math.sin(i + seed)), block10: Float32Array.from({ length: 96 }, (_, i) => i * seed) }
  }
}

/** The same behaviour from both implementations of FeatureCache. */
function cacheContract(name: string, make: () => Promise<{ cache: FeatureCache; close: () => Promise<void> }>): void {
  describe(`${name} feature cache`, () => {
    let cache: FeatureCache
    let close: () => Promise<void>
    before(async () => ({ cache, close } = await make()))
    after(() => close())

    it('returns what was stored, bit for bit, and null for misses, in key order', async () => {
      const a = entry('a'.repeat(64), 1)
      const b = entry('b'.repeat(64), 2)
      await cache.put([a, b])
      const got = await cache.get([{ backbone: a.backbone, hash: b.hash }, { backbone: a.backbone, hash: 'c'.repeat(64) }, { backbone: a.backbone, hash: a.hash }])
      assert.equal(got[1], null)
      assert.deepEqual(got[0]!.outputs['features'], b.outputs['features'])
      assert.deepEqual(got[2]!.outputs['block10'], a.outputs['block10'])
      assert.ok(got[0]!.outputs['features'] instanceof Float32Array)
    })

    it('keys by backbone version as well as content', async () => {
      const other = { ...entry('a'.repeat(64), 9), backbone: 'test-backbone@2' }
      await cache.put([other])
      const [v1, v2] = await cache.get([{ backbone: 'test-backbone@1', hash: 'a'.repeat(64) }, { backbone: 'test-backbone@2', hash: 'a'.repeat(64) }])
      assert.equal(v1!.outputs['block10'][1], 1)
      assert.equal(v2!.outputs['block10'][1], 9)
      assert.equal(await cache.count('test-backbone@1'), 2)
      assert.equal(await cache.clear('test-backbone@2'), 1)
      assert.equal(await cache.count(), 2)
    })
  })
}

cacheContract('file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-features-'))
  return { cache: new FileFeatureCache(dir), close: () => rm(dir, { recursive: true, force: true }) }
})

cacheContract('Dexie', async () => {
  const db = new LightboxDB(`features-${crypto.randomUUID()}`)
  return { cache: new DexieFeatureCache(db), close: () => db.delete() }
})

describe('feature cache storage details', () => {
  it('treats a damaged cache file as a miss and removes it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-features-'))
    try {
      const cache = new FileFeatureCache(dir)
      const e = entry('d'.repeat(64), 3)
      await cache.put([e])
      const [file] = (await readdir(cache.dir, { recursive: true })).map(String).filter((f) => f.endsWith('.f32'))
      await writeFile(path.join(cache.dir, file), Buffer.from([1, 2, 3, 4, 5]))
      assert.deepEqual(await cache.get([e]), [null])
      assert.equal(await cache.count(), 0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('adds the v2 tables to a version-1 database without touching its records', async () => {
    const name = `upgrade-${crypto.randomUUID()}`
    const v1 = new Dexie(name)
    v1.version(1).stores({ cases: 'id, &accession, kind, status, archived, updatedAt, [archived+updatedAt]', reviewers: 'id, name, active', audit: '++seq, at, [entity+entityId], reviewerId' })
    await v1.table('reviewers').add({ id: 'r1', name: 'Ana Costa', initials: 'AC', role: 'technologist', createdAt: '2026-01-01', active: 1 })
    v1.close()
    const db = new LightboxDB(name)
    assert.equal((await db.reviewers.get('r1'))?.name, 'Ana Costa')
    await new DexieFeatureCache(db).put([entry('e'.repeat(64), 1)])
    assert.equal(await db.featureCache.count(), 1)
    await db.delete()
  })

  it('hashes content the same way in the renderer (Web Crypto) and in main (node:crypto)', async () => {
    const bytes = new TextEncoder().encode('a chest X-ray, say')
    assert.equal(await browserHash(bytes), contentHash(bytes))
  })
})

describe('feature extraction through the cache (real backbone, real NIH images)', () => {
  const runtime = new ModelRuntime({ settings: async () => ({ preferredDevice: 'cpu', inferenceThreads: os.availableParallelism() }) })
  let backbone: Backbone
  let runs = 0
  let dataDir: string

  before(async () => {
    const built = await ensureMobilenet(sourceResourcesDir)
    const session = await runtime.session({ path: built.modelFile })
    // Count the backbone's runs: a cached image must not run it again.
    const counting = new Proxy(session, {
      get(target, prop, receiver) {
        if (prop === 'run') return (...args: Parameters<ModelSession['run']>) => (runs++, target.run(...args))
        return Reflect.get(target, prop, receiver)
      }
    })
    backbone = { id: mobilenetId, manifest: built.manifest, session: counting }
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-features-'))
  })
  after(async () => {
    await runtime.releaseAll()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('runs the backbone only for images it has not seen, and the cached features equal fresh ones', async () => {
    const manifest = await readManifest(nihDir, 'manifest.csv', ['file'])
    const files = manifest.rows.slice(0, 5).map((r) => ({ path: path.join(nihDir, r['file']) }))
    const cache = new FileFeatureCache(dataDir)
    const progress: number[] = []

    const first = await extractFeatures(backbone, files.slice(0, 3), { cache, batchSize: 2, onProgress: (done) => progress.push(done) })
    assert.equal(runs, 2, 'three new images in batches of two')
    assert.deepEqual(progress, [0, 2, 3])
    assert.equal(first[0].outputs['features'].length, 1280)
    assert.equal(first[0].outputs['block10'].length, 96)

    runs = 0
    const second = await extractFeatures(backbone, files, { cache, batchSize: 8 })
    assert.equal(runs, 1, 'only the two new images ran, in one batch')
    for (let i = 0; i < 3; i++) assert.deepEqual(second[i].outputs['features'], first[i].outputs['features'])

    runs = 0
    const uncached = await extractFeatures(backbone, files.slice(3), { batchSize: 1 })
    assert.equal(runs, 2)
    // Batching does not change an image's features beyond float rounding.
    for (let i = 0; i < 2; i++) {
      const a = uncached[i].outputs['features']
      const b = second[3 + i].outputs['features']
      assert.ok(a.every((v, k) => Math.abs(v - b[k]) < 1e-4))
    }
    assert.equal(await cache.count(mobilenetId), 5)
  })
})

describe("the renderer's features: Dexie first, main only for what is missing", () => {
  it('sends only uncached images to main and caches what comes back', async () => {
    const db = new LightboxDB(`renderer-features-${crypto.randomUUID()}`)
    const cache = new DexieFeatureCache(db)
    const images = ['one', 'two', 'three'].map((name) => ({ name, bytes: new TextEncoder().encode(`image ${name}`) }))
    const sent: string[][] = []
    // Stands in for main's features.extract: deterministic vectors from the bytes' hash.
    const extract = async ({ backbone, images: imgs, names }: { backbone: string; images: Uint8Array[]; names: string[] }) => {
      sent.push(names)
      return { backbone, items: imgs.map((b) => ({ backbone, hash: contentHash(b), outputs: { features: Float32Array.from([b.length, b[6]]) } })) }
    }
    const first = await featuresFor(images.slice(0, 2), 'bb@1', cache, extract)
    assert.deepEqual(sent, [['one', 'two']])
    const again = await featuresFor(images, 'bb@1', cache, extract)
    assert.deepEqual(sent, [['one', 'two'], ['three']], 'only the new image went to main')
    assert.deepEqual(again[0].outputs['features'], first[0].outputs['features'])
    await featuresFor(images, 'bb@2', cache, extract)
    assert.equal(sent.at(-1)!.length, 3, 'another backbone version needs its own features')
    assert.equal(await cache.count('bb@1'), 3)
    await db.delete()
  })
})

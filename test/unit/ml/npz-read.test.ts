import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { zipSync } from 'fflate'
import { repoRoot } from '../../../main/app/paths'
import { sharedDatasetsDir } from '../../../main/datasets/manifest'
import { parseNpy, readNpz, toFloat32 } from '../../../main/datasets/npz'
import { LabError } from '../../../main/errors'

const PNEUMONIA = path.join(sharedDatasetsDir(repoRoot), 'xray', 'pneumoniamnist', 'pneumoniamnist.npz')

/** A .npy file as numpy writes it (format 1.0, header padded to 64 bytes). */
function npy(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`
  const total = 10 + header.length + 1
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n'
  const out = new Uint8Array(10 + header.length + data.length)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8])
  out.set(new TextEncoder().encode(header), 10)
  out.set(data, 10 + header.length)
  return out
}

describe('npz reader', () => {
  it('reads float32 and int64 arrays from a deflated archive', async () => {
    const f = Float32Array.from([1.5, -2, 3.25, 4, 5, 6])
    const i = BigInt64Array.from([7n, -8n])
    const dir = mkdtempSync(path.join(os.tmpdir(), 'npz-'))
    const file = path.join(dir, 'a.npz')
    writeFileSync(file, zipSync({ 'x.npy': npy('<f4', [2, 3], new Uint8Array(f.buffer)), 'y.npy': npy('<i8', [2], new Uint8Array(i.buffer)) }, { level: 6 }))
    const arrays = await readNpz(file)
    assert.deepEqual(arrays.x.shape, [2, 3])
    assert.deepEqual([...(arrays.x.data as Float32Array)], [...f])
    assert.deepEqual([...(arrays.y.data as BigInt64Array)], [7n, -8n])
    assert.deepEqual([...toFloat32(arrays.y)], [7, -8])
  })

  it('reads PneumoniaMNIST with its official splits', async () => {
    const a = await readNpz(PNEUMONIA)
    assert.deepEqual(a.train_images.shape, [3882, 28, 28])
    assert.deepEqual(a.test_images.shape, [624, 28, 28])
    assert.equal(a.test_labels.dtype, 'u1')
    const labels = a.test_labels.data as Uint8Array
    // The official test split: 234 normal, 390 pneumonia.
    assert.equal(labels.reduce((s, v) => s + v, 0), 390)
  })

  it('names the file and the problem for bad input', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'npz-'))
    const notZip = path.join(dir, 'bad.npz')
    writeFileSync(notZip, 'hello')
    await assert.rejects(readNpz(notZip), (e: unknown) => e instanceof LabError && e.code === 'bad_input' && e.message.includes('bad.npz'))
    await assert.rejects(readNpz(path.join(dir, 'missing.npz')), (e: unknown) => e instanceof LabError && e.code === 'not_found')
    const truncated = npy('<f4', [4], new Uint8Array(8))
    assert.throws(() => parseNpy(truncated, 'short.npy'), /short\.npy.*needs 16/)
    assert.throws(() => parseNpy(npy('>f4', [1], new Uint8Array(4)), 'be.npy'), /big-endian/)
  })
})

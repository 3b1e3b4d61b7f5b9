/**
 * Every crop of a dataset as compact views (8-bit densities) and measurements, kept in one binary file
 * so training runs after the first do not normalise 24,000 crops again. The cache is keyed by the
 * manifest's text, the view configuration and `viewTableVersion` (bump it when normalisation or view
 * cutting changes): a stale cache is never read, only rebuilt.
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Stain } from '../types'
import { prepareCrop, type ChromosomeManifest, type ChromosomeRecord } from './dataset'
import type { ChromosomeMeasures, ChromosomeViews, ViewConfig } from './views'

export const viewTableVersion = 1

/** Measures per crop in `measures`: length, mass, width, centromere (NaN = none), centromereIndex (NaN = none). */
const measureCount = 5

export interface ViewTable {
  config: ViewConfig
  count: number
  records: ChromosomeRecord[]
  stains: (Stain | null)[]
  problems: (string | null)[]
  global: Uint8Array
  upper: Uint8Array
  lower: Uint8Array
  measures: Float32Array
}

const size = (s: { width: number; height: number }) => s.width * s.height

function quantise(src: Float32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < src.length; i++) out[offset + i] = Math.max(0, Math.min(255, Math.round(src[i] * 255)))
}

export function emptyTable(config: ViewConfig, records: ChromosomeRecord[]): ViewTable {
  const n = records.length
  return {
    config,
    count: n,
    records,
    stains: new Array(n).fill(null),
    problems: new Array(n).fill(null),
    global: new Uint8Array(n * size(config.global)),
    upper: new Uint8Array(n * size(config.local)),
    lower: new Uint8Array(n * size(config.local)),
    measures: new Float32Array(n * measureCount).fill(Number.NaN)
  }
}

export function putViews(t: ViewTable, i: number, v: ChromosomeViews): void {
  quantise(v.global, t.global, i * size(t.config.global))
  quantise(v.upper, t.upper, i * size(t.config.local))
  quantise(v.lower, t.lower, i * size(t.config.local))
  const m = v.measures
  t.measures.set([m.length, m.mass, m.width, m.centromere ?? Number.NaN, m.centromereIndex ?? Number.NaN], i * measureCount)
}

export function measuresAt(t: ViewTable, i: number): ChromosomeMeasures {
  const m = t.measures.subarray(i * measureCount, (i + 1) * measureCount)
  return {
    length: m[0],
    mass: m[1],
    width: m[2],
    centromere: Number.isNaN(m[3]) ? null : m[3],
    centromereIndex: Number.isNaN(m[4]) ? null : m[4]
  }
}

/** Normalises every crop of the manifest (in order; `onProgress(done, total)` now and then). */
export async function buildViewTable(manifest: ChromosomeManifest, config: ViewConfig, onProgress?: (done: number, total: number) => void): Promise<ViewTable> {
  const t = emptyTable(config, manifest.records)
  let last = 0
  for (let i = 0; i < t.count; i++) {
    const c = await prepareCrop(manifest.dir, manifest.records[i], config)
    t.stains[i] = c.stain
    t.problems[i] = c.problem
    if (c.views) putViews(t, i, c.views)
    if (onProgress && (performance.now() - last > 2000 || i === t.count - 1)) {
      last = performance.now()
      onProgress(i + 1, t.count)
    }
  }
  return t
}

export function cacheKey(manifest: ChromosomeManifest, config: ViewConfig): string {
  return createHash('sha256').update(JSON.stringify({ v: viewTableVersion, config })).update(manifest.text).digest('hex').slice(0, 20)
}

interface Header {
  version: number
  key: string
  config: ViewConfig
  records: ChromosomeRecord[]
  stains: (Stain | null)[]
  problems: (string | null)[]
}

/** Writes the table (atomically: a temporary file renamed into place). */
export async function writeViewTable(file: string, key: string, t: ViewTable): Promise<void> {
  const header: Header = { version: viewTableVersion, key, config: t.config, records: t.records, stains: t.stains, problems: t.problems }
  const head = Buffer.from(JSON.stringify(header), 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32LE(head.length)
  const measures = Buffer.from(t.measures.buffer, t.measures.byteOffset, t.measures.byteLength)
  await mkdir(path.dirname(file), { recursive: true })
  const tmp = `${file}.${randomUUID().slice(0, 8)}.tmp`
  await writeFile(tmp, Buffer.concat([len, head, measures, t.global, t.upper, t.lower]))
  await rename(tmp, file)
}

/** Reads a cached table; null when the file is missing, stale or damaged (then it is simply rebuilt). */
export async function readViewTable(file: string, key: string): Promise<ViewTable | null> {
  let buf: Buffer
  try {
    buf = await readFile(file)
  } catch {
    return null
  }
  try {
    const headLen = buf.readUInt32LE(0)
    const header = JSON.parse(buf.subarray(4, 4 + headLen).toString('utf8')) as Header
    if (header.version !== viewTableVersion || header.key !== key) return null
    const t = emptyTable(header.config, header.records)
    let off = 4 + headLen
    const take = (n: number) => {
      const part = buf.subarray(off, off + n)
      if (part.length !== n) throw new Error('truncated')
      off += n
      return part
    }
    const m = take(t.measures.byteLength)
    t.measures.set(new Float32Array(m.buffer.slice(m.byteOffset, m.byteOffset + m.byteLength)))
    t.global.set(take(t.global.length))
    t.upper.set(take(t.upper.length))
    t.lower.set(take(t.lower.length))
    t.stains = header.stains
    t.problems = header.problems
    return t
  } catch {
    return null
  }
}

/** The dataset's view table from the cache folder, or built (and cached) when missing or stale. */
export async function loadViewTable(
  manifest: ChromosomeManifest,
  config: ViewConfig,
  cacheDir: string | null,
  onProgress?: (done: number, total: number) => void
): Promise<ViewTable> {
  const key = cacheKey(manifest, config)
  const file = cacheDir ? path.join(cacheDir, `views-${key}.bin`) : null
  if (file) {
    const cached = await readViewTable(file, key)
    if (cached) return cached
  }
  const t = await buildViewTable(manifest, config, onProgress)
  if (file) await writeViewTable(file, key, t)
  return t
}

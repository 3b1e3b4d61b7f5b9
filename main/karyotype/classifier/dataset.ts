/**
 * Chromosome datasets laid out like chromosomes/gband or chromosomes/qband: a folder with manifest.csv
 * (`file`, `cell` or `case`, `type`, …) and one crop per row. Reads the manifest (never assumes a file
 * list), splits BY CELL deterministically (a hash of the cell id, so the same cell always lands in the
 * same split whatever else is in the folder), and turns every crop into the classifier's views.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { LabError } from '../../errors'
import { readManifest, pickColumn } from '../../datasets/manifest'
import { readGreyImage } from '../../imaging/read-image'
import { normaliseCrop } from '../normalise/normalise'
import { chromosomeTypes, type ChromosomeType, type Stain } from '../types'
import { extractViews, nativeCanvas, type ChromosomeMeasures, type ChromosomeViews, type ViewConfig } from './views'

export interface ChromosomeRecord {
  /** Path relative to the dataset folder, as in the manifest. */
  file: string
  /** Cell (gband) or case (qband) id. */
  group: string
  type: ChromosomeType
}

export interface ChromosomeManifest {
  dir: string
  groupColumn: string
  records: ChromosomeRecord[]
  /** The manifest's text (its hash keys caches). */
  text: string
}

export type Split = 'train' | 'validation' | 'test'

/** Fractions of cells per split. Test cells are never trained on; validation picks the best epoch. */
export const splitFractions = { test: 0.15, validation: 0.1 }

/** Which split a cell belongs to: a hash of its id (stable, independent of the rest of the folder). */
export function splitOf(group: string): Split {
  const h = createHash('sha256').update(`lightbox-karyotype-split:${group}`).digest().readUInt32BE(0) / 2 ** 32
  if (h < splitFractions.test) return 'test'
  if (h < splitFractions.test + splitFractions.validation) return 'validation'
  return 'train'
}

function parseType(raw: string, file: string, row: number, manifestFile: string): ChromosomeType {
  const t = raw.trim().toUpperCase()
  if ((chromosomeTypes as readonly string[]).includes(t)) return t as ChromosomeType
  throw new LabError('bad_input', `${manifestFile}, row ${row + 2} (${file}): "${raw}" is not a chromosome type (1–22, X or Y).`, { file: manifestFile })
}

/** Reads and checks the manifest of a chromosome dataset folder. */
export async function readChromosomeManifest(dir: string): Promise<ChromosomeManifest> {
  const manifest = await readManifest(dir, 'manifest.csv', ['file', 'type'])
  const groupColumn = pickColumn(manifest, ['cell', 'case'])
  const manifestFile = path.join(dir, 'manifest.csv')
  if (manifest.rows.length === 0) throw new LabError('bad_input', `${manifestFile} lists no chromosomes.`, { file: manifestFile })
  const records = manifest.rows.map((r, i) => {
    if (!r.file) throw new LabError('bad_input', `${manifestFile}, row ${i + 2}: the file column is empty.`, { file: manifestFile })
    const group = r[groupColumn]
    if (!group) throw new LabError('bad_input', `${manifestFile}, row ${i + 2} (${r.file}): the ${groupColumn} column is empty.`, { file: manifestFile })
    return { file: r.file, group, type: parseType(r.type ?? '', r.file, i, manifestFile) }
  })
  return { dir, groupColumn, records, text: await readFile(manifestFile, 'utf8') }
}

/** One crop made ready for the classifier (null views when the crop could not be normalised). */
export interface PreparedCrop {
  record: ChromosomeRecord
  stain: Stain | null
  views: ChromosomeViews | null
  /** Why the crop could not be used (unreadable, blank…). */
  problem: string | null
}

/** Reads, normalises and cuts the views of one crop. Failures are returned, not thrown: one bad crop does not stop a dataset. */
export async function prepareCrop(dir: string, record: ChromosomeRecord, config: ViewConfig): Promise<PreparedCrop> {
  try {
    const image = await readGreyImage(path.join(dir, record.file), record.file)
    const n = normaliseCrop(image, { size: nativeCanvas, scale: 1, stain: 'auto' })
    return { record, stain: n.stain, views: extractViews(n, config), problem: null }
  } catch (err) {
    return { record, stain: null, views: null, problem: err instanceof Error ? err.message : String(err) }
  }
}

/** Groups record indices by cell, in order of first appearance. */
export function groupIndices(records: ChromosomeRecord[]): Map<string, number[]> {
  const groups = new Map<string, number[]>()
  records.forEach((r, i) => {
    const list = groups.get(r.group)
    if (list) list.push(i)
    else groups.set(r.group, [i])
  })
  return groups
}

/** The stain of a cell: what most of its crops look like (light background → G, dark → Q). */
export function cellStain(crops: PreparedCrop[]): Stain {
  let g = 0
  let q = 0
  for (const c of crops) {
    if (c.stain === 'G') g++
    else if (c.stain === 'Q') q++
  }
  return q > g ? 'Q' : 'G'
}

export type { ChromosomeMeasures }

/** A cell's identity by content: the hash of its crop files' hashes (order-free; the cell id alone could be reused by another folder). */
export function cellFingerprint(fileHashes: string[]): string {
  return createHash('sha256').update([...fileHashes].sort().join('\n')).digest('hex').slice(0, 16)
}

export function fileHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Fingerprints of the given cells, reading their crop files (unreadable files hash as their name). */
export async function cellFingerprints(dir: string, records: ChromosomeRecord[], cells: Iterable<string>): Promise<Map<string, string>> {
  const wanted = new Set(cells)
  const hashes = new Map<string, string[]>()
  for (const r of records) {
    if (!wanted.has(r.group)) continue
    let h: string
    try {
      h = fileHash(await readFile(path.join(dir, r.file)))
    } catch {
      h = `missing:${r.file}`
    }
    const list = hashes.get(r.group)
    if (list) list.push(h)
    else hashes.set(r.group, [h])
  }
  return new Map([...hashes].map(([g, list]) => [g, cellFingerprint(list)]))
}

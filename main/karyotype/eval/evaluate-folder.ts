/**
 * Evaluates the karyotyping classifiers on a labelled folder laid out like chromosomes/gband or
 * chromosomes/qband (manifest.csv with file, cell or case, type). Every crop is read and normalised
 * afresh (no cache), each cell is classified by the model for its stain and dispatched as a whole, and
 * the results are summed up (metrics.ts).
 *
 * Cells a model was trained or validated on are skipped by default: the model's manifest carries
 * fingerprints of those cells (a hash of their crop files' contents, not their ids), so run on the shared
 * folder this scores exactly the held-out test cells, and on an unseen folder it scores everything.
 * `split` additionally keeps only the cells the hash split puts in that part (e.g. 'test').
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { readGreyImage } from '../../imaging/read-image'
import type { ModelRuntime } from '../../ml/runtime'
import { ChromosomeClassifier } from '../classifier/classify'
import { cellFingerprint, cellStain, fileHash, groupIndices, readChromosomeManifest, splitOf, type PreparedCrop, type Split } from '../classifier/dataset'
import { extractViews, nativeCanvas } from '../classifier/views'
import { normaliseCrop, type NormalisedChromosome } from '../normalise/normalise'
import { classifierFor } from '../pipeline'
import type { Stain } from '../types'
import { summarise, type CellOutcome, type KaryotypeMetrics } from './metrics'
import { scoreCell } from './score-cell'

export interface EvaluateFolderOptions {
  /** Keep only the cells of this part of the hash split; 'all' (default) keeps every cell. */
  split?: Split | 'all'
  /** Also score cells the model was trained or validated on (default false). */
  includeSeen?: boolean
  /** One classifier model folder for every cell (default: the shipped model for each cell's stain). */
  model?: string
  resourcesDir?: string
  runtime?: ModelRuntime
  /** Stop after this many cells (quick checks). */
  maxCells?: number
  /** Average over left–right mirror images too (default true, as in the pipeline). */
  mirror?: boolean
  onProgress?: (done: number, total: number) => void
}

export interface FolderEvaluation extends KaryotypeMetrics {
  dataset: string
  split: Split | 'all'
  seconds: number
  /** name@version per stain actually used. */
  models: string[]
  /** Cells left out because a model had seen them in training or validation. */
  skipped_seen_cells: number
  /** Crops that could not be read or normalised (counted as wrong). */
  failed_crops: number
  notes: string[]
}

interface ReadCrop {
  crop: PreparedCrop
  normalised: NormalisedChromosome | null
  hash: string
}

async function readCrop(dir: string, record: PreparedCrop['record']): Promise<ReadCrop> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path.join(dir, record.file))
  } catch (err) {
    return { crop: { record, stain: null, views: null, problem: `cannot read ${record.file}: ${(err as Error).message}` }, normalised: null, hash: `missing:${record.file}` }
  }
  try {
    const image = await readGreyImage(bytes, record.file)
    const normalised = normaliseCrop(image, { size: nativeCanvas, scale: 1, stain: 'auto' })
    return { crop: { record, stain: normalised.stain, views: null, problem: null }, normalised, hash: fileHash(bytes) }
  } catch (err) {
    return { crop: { record, stain: null, views: null, problem: (err as Error).message }, normalised: null, hash: fileHash(bytes) }
  }
}

export async function evaluateFolder(dir: string, o: EvaluateFolderOptions = {}): Promise<FolderEvaluation> {
  const started = performance.now()
  const manifest = await readChromosomeManifest(dir)
  const split = o.split ?? 'all'
  let groups = [...groupIndices(manifest.records)].filter(([group]) => split === 'all' || splitOf(group) === split)
  if (o.maxCells) groups = groups.slice(0, o.maxCells)
  const explicit = o.model ? ChromosomeClassifier.load(o.model, o.runtime) : null
  const pick = (stain: Stain) => explicit ?? classifierFor(stain, { resourcesDir: o.resourcesDir, runtime: o.runtime })

  const outcomes: CellOutcome[] = []
  const used = new Set<string>()
  let skipped = 0
  let failed = 0
  let qCells = 0
  for (const [k, [group, indices]] of groups.entries()) {
    const read: ReadCrop[] = []
    for (const i of indices) read.push(await readCrop(dir, manifest.records[i]))
    const stain = cellStain(read.map((r) => r.crop))
    const classifier = await pick(stain)
    if (!o.includeSeen && classifier.model.settings.seenCells.has(cellFingerprint(read.map((r) => r.hash)))) {
      skipped++
      continue
    }
    used.add(`${classifier.model.manifest.name}@${classifier.model.manifest.version}`)
    failed += read.filter((r) => !r.normalised).length
    // Crops from G-band karyograms stand upright (p-arm up); Q-band crops keep their spread orientation.
    const upright = stain === 'G'
    if (!upright) qCells++
    outcomes.push(
      await scoreCell(
        {
          group,
          truth: indices.map((i) => manifest.records[i].type),
          views: read.map((r) => (r.normalised ? extractViews(r.normalised, classifier.views) : null)),
          upright
        },
        classifier,
        { mirror: o.mirror }
      )
    )
    o.onProgress?.(k + 1, groups.length)
  }
  const notes: string[] = []
  if (skipped > 0) notes.push(`${skipped} cells were left out because the model was trained or validated on them (use --include-seen to score them anyway).`)
  if (qCells > 0) {
    notes.push(
      'Q-banded crops keep the orientation they had in the spread, so no crop has a known p-arm direction: polarity is scored on G-banded (upright) cells only' +
        (qCells === outcomes.length ? ', and polarity_accuracy is null here.' : '.')
    )
  }
  if (failed > 0) notes.push(`${failed} crops could not be read or normalised; they count as wrong.`)
  return {
    dataset: path.resolve(dir),
    split,
    ...summarise(outcomes),
    seconds: Math.round((performance.now() - started) / 10) / 100,
    models: [...used],
    skipped_seen_cells: skipped,
    failed_crops: failed,
    notes
  }
}

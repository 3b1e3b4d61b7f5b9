/** Reads the band tables shipped in the `ideogram` npm package (once per resolution). */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { LabError } from '../../errors'
import { bandResolutions, parseBandTable, type BandResolution, type Ideogram } from './parse'

const cache = new Map<BandResolution, Ideogram>()

export function bandTablePath(resolution: BandResolution): string {
  const pkg = createRequire(import.meta.url).resolve('ideogram/package.json')
  return path.join(path.dirname(pkg), 'dist', 'data', 'bands', 'ncbi', `ideogram_9606_GCF_000001305.14_${resolution}_V1.tsv`)
}

/** The human ideogram (GRCh38) at 400, 550 or 850 bands per haploid set. */
export function loadIdeogram(resolution: BandResolution = 550): Ideogram {
  if (!bandResolutions.includes(resolution)) {
    throw new LabError('invalid_argument', `Band resolution ${resolution} is not available; use 400, 550 or 850.`)
  }
  let ideogram = cache.get(resolution)
  if (!ideogram) {
    let text: string
    try {
      text = readFileSync(bandTablePath(resolution), 'utf8')
    } catch (err) {
      throw new LabError('unavailable', `The ${resolution}-band ideogram table could not be read: ${(err as Error).message}`)
    }
    ideogram = parseBandTable(text, resolution)
    cache.set(resolution, ideogram)
  }
  return ideogram
}

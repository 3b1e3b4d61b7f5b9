/**
 * Cytogenetic band data (ISCN ideograms) parsed from the `ideogram` package's NCBI tables
 * (GRCh38, 400/550/850 bands per haploid set). Pure: no file access, so the renderer can use the same
 * parser on text it already has; main reads the files in load.ts.
 */
import { chromosomeTypes, isChromosomeType, type ChromosomeType } from '../types'

export const bandResolutions = [400, 550, 850] as const
export type BandResolution = (typeof bandResolutions)[number]

/** Giemsa stain class of a band, as ideograms draw it. */
export type BandStain = 'gneg' | 'gpos25' | 'gpos50' | 'gpos75' | 'gpos100' | 'acen' | 'gvar' | 'stalk'

export interface Band {
  /** Band name with its arm, e.g. "q11.2" (ISCN writes chromosome + name: 22q11.2). */
  name: string
  arm: 'p' | 'q'
  /** Position along the chromosome from the p terminal, in ISCN length units (shared scale for all chromosomes). */
  start: number
  stop: number
  /** Base-pair coordinates (GRCh38). */
  bpStart: number
  bpStop: number
  stain: BandStain
  /** Darkness to draw the band with, 0 (white) to 1 (black); acen/stalk/gvar get conventional values. */
  darkness: number
}

export interface ChromosomeBands {
  chromosome: ChromosomeType
  /** Total length in ISCN units (p terminal to q terminal). */
  length: number
  /** Position of the centromere (end of the p arm) in ISCN units. */
  centromere: number
  /** Bands from the p terminal to the q terminal. */
  bands: Band[]
}

export interface Ideogram {
  resolution: BandResolution
  /** 1–22, X, Y in that order. */
  chromosomes: ChromosomeBands[]
}

const darkness: Record<BandStain, number> = {
  gneg: 0,
  gpos25: 0.25,
  gpos50: 0.5,
  gpos75: 0.75,
  gpos100: 1,
  acen: 0.6,
  gvar: 0.85,
  stalk: 0.15
}

function stainOf(stain: string, density: string): BandStain {
  if (stain === 'gpos') {
    const d = Number(density)
    return d >= 100 ? 'gpos100' : d >= 75 ? 'gpos75' : d >= 50 ? 'gpos50' : 'gpos25'
  }
  if (stain === 'gneg' || stain === 'acen' || stain === 'gvar' || stain === 'stalk') return stain
  throw new Error(`unknown band stain "${stain}"`)
}

/** Parses one of the package's `ideogram_9606_GCF_000001305.14_<res>_V1.tsv` tables. */
export function parseBandTable(text: string, resolution: BandResolution): Ideogram {
  const byChromosome = new Map<ChromosomeType, Band[]>()
  for (const [n, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim() || line.startsWith('#')) continue
    const [chr, arm, band, iscnStart, iscnStop, bpStart, bpStop, stain, density = ''] = line.split('\t')
    if (!isChromosomeType(chr) || (arm !== 'p' && arm !== 'q')) throw new Error(`band table line ${n + 1}: unexpected "${line}"`)
    const list = byChromosome.get(chr) ?? []
    const s = stainOf(stain, density)
    list.push({
      name: `${arm}${band}`,
      arm,
      start: Number(iscnStart),
      stop: Number(iscnStop),
      bpStart: Number(bpStart),
      bpStop: Number(bpStop),
      stain: s,
      darkness: darkness[s]
    })
    byChromosome.set(chr, list)
  }
  const chromosomes = chromosomeTypes.map((chromosome) => {
    const bands = (byChromosome.get(chromosome) ?? []).sort((a, b) => a.start - b.start)
    if (bands.length === 0) throw new Error(`band table has no bands for chromosome ${chromosome}`)
    const pEnd = Math.max(...bands.filter((b) => b.arm === 'p').map((b) => b.stop), 0)
    return { chromosome, length: Math.max(...bands.map((b) => b.stop)), centromere: pEnd, bands }
  })
  return { resolution, chromosomes }
}

export function chromosomeBands(ideogram: Ideogram, chromosome: ChromosomeType): ChromosomeBands {
  return ideogram.chromosomes[chromosomeTypes.indexOf(chromosome)]
}

/**
 * Does `name` (e.g. "q11.2", "q34", "p10", "qter") name a band or landmark of this chromosome?
 * A less precise name is valid when it covers existing sub-bands ("q34" at 850 bands, where only
 * q34.11…q34.3 are listed); p10/q10 (the centromere), pter, qter and cen are landmarks of every chromosome.
 */
export function hasBand(bands: ChromosomeBands, name: string): boolean {
  if (['pter', 'qter', 'cen', 'p10', 'q10'].includes(name)) return true
  return bands.bands.some((b) => b.name === name || b.name.startsWith(name + '.') || (name.includes('.') && b.name.startsWith(name)))
}

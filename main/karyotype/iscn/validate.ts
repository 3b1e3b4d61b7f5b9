/**
 * Validation of hand-written ISCN results, e.g.
 *   46,XY,t(9;22)(q34;q11.2)   46,XX,del(5)(p15.2)   47,XY,+21   46,XY,inv(9)(p12q13)   mos 45,X[10]/46,XX[20]
 * Checks the syntax (count, sex chromosomes, numerical and structural abnormalities, clone sizes), that the
 * count agrees with the abnormalities listed, and every band name against the ideogram band data
 * (GRCh38 at 400/550/850 bands). Every issue names what is wrong and where (character offsets), e.g.
 * "band q37 does not exist on chromosome 9 at 550 resolution".
 */
import { chromosomeBands, hasBand, type BandResolution, type Ideogram } from '../ideogram/parse'
import { isChromosomeType, type ChromosomeType } from '../types'

export interface IscnIssue {
  severity: 'error' | 'warning'
  message: string
  /** Character offsets [start, end) in the text. */
  start: number
  end: number
}

export interface ParsedRearrangement {
  /** e.g. 't', 'del', 'inv', 'der'. */
  op: string
  chromosomes: string[]
  /** Break points per chromosome, e.g. [['q34'], ['q11.2']]; empty when none were written. */
  bands: string[][]
}

export interface ParsedAbnormality {
  text: string
  start: number
  end: number
  sign: '+' | '-' | null
  kind: 'numerical' | 'structural' | 'marker'
  /** Numerical: the chromosome gained or lost. */
  chromosome?: string
  /** Structural: the rearrangement chain (der(22)t(9;22)(…) is two links). */
  rearrangements?: ParsedRearrangement[]
}

export interface ParsedClone {
  text: string
  start: number
  count: number | null
  sex: string
  abnormalities: ParsedAbnormality[]
  /** The [n] cell count, when written. */
  cells: number | null
}

export interface IscnValidation {
  ok: boolean
  issues: IscnIssue[]
  prefix: 'mos' | 'chi' | null
  clones: ParsedClone[]
}

export interface ValidateOptions {
  /** Check bands at this resolution; by default a band is accepted if it exists at any of them. */
  resolution?: BandResolution
  /** The ideograms to check against (main passes loadIdeogram(400/550/850)). */
  ideograms: Ideogram[]
}

/** How many break points each rearrangement takes in total (min, max), and per chromosome when fixed. */
const rearrangements: Record<string, { chromosomes: [number, number]; bands: [number, number]; describe: string }> = {
  t: { chromosomes: [2, 4], bands: [2, 4], describe: 'a translocation, e.g. t(9;22)(q34;q11.2)' },
  del: { chromosomes: [1, 1], bands: [1, 2], describe: 'a deletion, e.g. del(5)(p15.2) or del(1)(q21q31)' },
  dup: { chromosomes: [1, 1], bands: [1, 2], describe: 'a duplication, e.g. dup(1)(q21q32)' },
  inv: { chromosomes: [1, 1], bands: [2, 2], describe: 'an inversion, e.g. inv(9)(p12q13)' },
  ins: { chromosomes: [1, 2], bands: [3, 3], describe: 'an insertion, e.g. ins(2)(p13q21q31) or ins(5;2)(p14;q22q32)' },
  add: { chromosomes: [1, 1], bands: [1, 1], describe: 'additional material, e.g. add(19)(p13.3)' },
  i: { chromosomes: [1, 1], bands: [1, 1], describe: 'an isochromosome, e.g. i(17)(q10)' },
  idic: { chromosomes: [1, 1], bands: [1, 1], describe: 'an isodicentric chromosome, e.g. idic(X)(q13)' },
  dic: { chromosomes: [2, 2], bands: [2, 2], describe: 'a dicentric chromosome, e.g. dic(13;15)(q22;q24)' },
  r: { chromosomes: [1, 1], bands: [0, 2], describe: 'a ring chromosome, e.g. r(7)(p22q36)' },
  rob: { chromosomes: [2, 2], bands: [0, 2], describe: 'a Robertsonian translocation, e.g. rob(13;14)(q10;q10)' },
  der: { chromosomes: [1, 2], bands: [0, 2], describe: 'a derivative chromosome, e.g. der(22)t(9;22)(q34;q11.2)' },
  trp: { chromosomes: [1, 1], bands: [1, 2], describe: 'a triplication, e.g. trp(1)(q21q32)' },
  fra: { chromosomes: [1, 1], bands: [1, 1], describe: 'a fragile site, e.g. fra(X)(q27.3)' }
}

/** Rearrangements that change the chromosome count by themselves (the count check is skipped for them). */
const countChanging = new Set(['rob', 'dic', 'idic'])

const bandToken = /^(?:(p|q)(ter|\d+(?:\.\d+)?)|cen)/

export function validateIscn(text: string, options: ValidateOptions): IscnValidation {
  const issues: IscnIssue[] = []
  const error = (message: string, start: number, end: number) => issues.push({ severity: 'error', message, start, end })
  const warn = (message: string, start: number, end: number) => issues.push({ severity: 'warning', message, start, end })

  let offset = text.length - text.trimStart().length
  let body = text.trim()
  if (!body) {
    error('The result is empty: write a karyotype such as 46,XX.', 0, text.length)
    return { ok: false, issues, prefix: null, clones: [] }
  }
  let prefix: IscnValidation['prefix'] = null
  const m = /^(mos|chi)\s+/.exec(body)
  if (m) {
    prefix = m[1] as 'mos' | 'chi'
    offset += m[0].length
    body = body.slice(m[0].length)
  }
  const clones: ParsedClone[] = []
  let pos = 0
  for (const cloneText of body.split('/')) {
    clones.push(parseClone(cloneText, offset + pos, options, error, warn))
    pos += cloneText.length + 1
  }
  if (prefix && clones.length < 2) {
    error(`"${prefix}" needs at least two cell lines separated by "/".`, offset - m![0].length, offset)
  }
  if (!prefix && clones.length > 1) {
    warn('Several cell lines without "mos" (constitutional mosaic) or "chi" (chimera) in front.', offset, offset + body.length)
  }
  if (clones.length > 1) {
    for (const c of clones) if (c.cells === null) warn('Each cell line of a mosaic should give its number of cells in brackets, e.g. [12].', c.start, c.start + c.text.length)
  }
  return { ok: !issues.some((i) => i.severity === 'error'), issues, prefix, clones }
}

type Report = (message: string, start: number, end: number) => void

/** Splits on commas outside parentheses, keeping offsets. */
function fields(text: string): Array<{ text: string; start: number }> {
  const out: Array<{ text: string; start: number }> = []
  let depth = 0
  let start = 0
  for (let i = 0; i <= text.length; i++) {
    const c = text[i]
    if (c === '(') depth++
    else if (c === ')') depth--
    if (i === text.length || (c === ',' && depth === 0)) {
      out.push({ text: text.slice(start, i), start })
      start = i + 1
    }
  }
  return out
}

function parseClone(text: string, at: number, options: ValidateOptions, error: Report, warn: Report): ParsedClone {
  const clone: ParsedClone = { text, start: at, count: null, sex: '', abnormalities: [], cells: null }
  let body = text
  const cellsMatch = /\[(\d+)\]\s*$/.exec(body)
  if (cellsMatch) {
    clone.cells = Number(cellsMatch[1])
    if (clone.cells < 1) error('A cell line must have at least one cell.', at + cellsMatch.index, at + body.length)
    body = body.slice(0, cellsMatch.index)
  } else if (/\[/.test(body)) {
    const i = body.indexOf('[')
    error('The cell count must be a whole number in brackets at the end of the cell line, e.g. [20].', at + i, at + body.length)
    body = body.slice(0, i)
  }
  const parts = fields(body)
  const [countField, sexField, ...rest] = parts
  const count = countField.text.trim()
  if (!/^\d+(~\d+)?$/.test(count)) {
    error(`The karyotype must start with the chromosome count (e.g. 46), not "${count}".`, at + countField.start, at + countField.start + countField.text.length)
  } else if (!count.includes('~')) {
    clone.count = Number(count)
    if (clone.count < 23 || clone.count > 100) warn(`A count of ${clone.count} chromosomes is unusual; check it.`, at, at + count.length)
  }
  if (!sexField) {
    error('The sex chromosomes (e.g. XX or XY) must follow the count, after a comma.', at + body.length, at + body.length)
    return clone
  }
  const sex = sexField.text.trim()
  const sexStart = at + sexField.start
  if (!/^[XY]+$/.test(sex) && sex !== '?') {
    error(`"${sex}" is not a sex chromosome complement; write the sex chromosomes present, e.g. XX, XY, X or XXY.`, sexStart, sexStart + sexField.text.length)
  }
  clone.sex = sex
  for (const f of rest) {
    const a = parseAbnormality(f.text, at + f.start, options, error)
    if (a) clone.abnormalities.push(a)
  }
  // Count check: 44 autosomes + the sex chromosomes + gains - losses must equal the count written.
  const structuralSkip = clone.abnormalities.some((a) => a.rearrangements?.some((r) => countChanging.has(r.op) || (r.op === 'der' && r.chromosomes.length > 1)))
  if (clone.count !== null && /^[XY]+$/.test(sex) && !structuralSkip && !clone.abnormalities.some((a) => a.text.trim() === '')) {
    let expected = 44 + sex.length
    for (const a of clone.abnormalities) expected += a.sign === '+' ? 1 : a.sign === '-' ? -1 : 0
    if (expected !== clone.count) {
      error(
        `The count ${clone.count} does not match the chromosomes listed (${sex} and the gains and losses make ${expected}).`,
        at + countField.start,
        at + countField.start + count.length
      )
    }
  }
  return clone
}

function checkChromosome(name: string, start: number, error: Report, allowArm = false): boolean {
  const bare = allowArm ? name.replace(/[pq]$/, '') : name
  if (isChromosomeType(bare)) return true
  error(`"${name}" is not a chromosome (1–22, X or Y).`, start, start + name.length)
  return false
}

function parseAbnormality(raw: string, at: number, options: ValidateOptions, error: Report): ParsedAbnormality | null {
  const lead = raw.length - raw.trimStart().length
  const text = raw.trim()
  const start = at + lead
  const end = start + text.length
  if (!text) {
    error('An empty item between commas.', at, at + raw.length)
    return { text, start, end, sign: null, kind: 'numerical' }
  }
  const numerical = /^([+-])(\w+)$/.exec(text)
  if (numerical && !/mar/.test(text)) {
    const sign = numerical[1] as '+' | '-'
    checkChromosome(numerical[2], start + 1, error)
    return { text, start, end, sign, kind: 'numerical', chromosome: numerical[2] }
  }
  const marker = /^([+-]?)(\d*)mar\d*$/.exec(text)
  if (marker) {
    const sign = (marker[1] || null) as '+' | '-' | null
    if (!sign) error('A marker chromosome is written with its sign, e.g. +mar.', start, end)
    return { text, start, end, sign, kind: 'marker' }
  }
  let sign: '+' | '-' | null = null
  let i = 0
  if (text[0] === '+' || text[0] === '-') ((sign = text[0] as '+' | '-'), (i = 1))
  const chain: ParsedRearrangement[] = []
  while (i < text.length) {
    const opMatch = /^[a-z]+/.exec(text.slice(i))
    if (!opMatch) {
      error(`Cannot read "${text.slice(i)}": expected a rearrangement such as t(9;22)(q34;q11.2).`, start + i, end)
      return { text, start, end, sign, kind: 'structural', rearrangements: chain }
    }
    const op = opMatch[0]
    const spec = rearrangements[op]
    if (!spec) {
      error(`"${op}" is not an ISCN rearrangement this validator knows (t, del, dup, inv, ins, add, i, idic, dic, r, rob, der, trp, fra).`, start + i, start + i + op.length)
      return { text, start, end, sign, kind: 'structural', rearrangements: chain }
    }
    i += op.length
    const chrGroup = group(text, i)
    if (!chrGroup) {
      error(`"${op}" must be followed by its chromosomes in parentheses: ${spec.describe}.`, start + i - op.length, end)
      return { text, start, end, sign, kind: 'structural', rearrangements: chain }
    }
    const chromosomes = chrGroup.inner.split(';')
    let cpos = chrGroup.start + 1
    const chrOk = chromosomes.map((c) => {
      const ok = checkChromosome(c, start + cpos, error, op === 'i')
      cpos += c.length + 1
      return ok
    })
    i = chrGroup.end
    const link: ParsedRearrangement = { op, chromosomes, bands: [] }
    if (chromosomes.length < spec.chromosomes[0] || chromosomes.length > spec.chromosomes[1]) {
      error(`${op}(${chrGroup.inner}) names ${chromosomes.length} chromosome${chromosomes.length === 1 ? '' : 's'}; ${spec.describe}.`, start + chrGroup.start - op.length, start + chrGroup.end)
    }
    const bandGroup = text[i] === '(' ? group(text, i) : null
    if (bandGroup) {
      const perChromosome = bandGroup.inner.split(';')
      if (perChromosome.length !== chromosomes.length) {
        error(
          `${op}(${chrGroup.inner}) has ${chromosomes.length} chromosome${chromosomes.length === 1 ? '' : 's'} but ${perChromosome.length} break-point group${perChromosome.length === 1 ? '' : 's'} ("${bandGroup.inner}"): give one group per chromosome, separated by ";".`,
          start + bandGroup.start,
          start + bandGroup.end
        )
      }
      let bpos = bandGroup.start + 1
      perChromosome.forEach((g, k) => {
        const names = readBands(g, start + bpos, error)
        link.bands.push(names.map((n) => n.name))
        const chr = chromosomes[k]
        if (chr && chrOk[k]) {
          for (const n of names) checkBand(chr.replace(/[pq]$/, '') as ChromosomeType, n.name, n.start, options, error)
        }
        bpos += g.length + 1
      })
      i = bandGroup.end
    }
    const total = link.bands.reduce((s, b) => s + b.length, 0)
    if (total < spec.bands[0] || total > spec.bands[1]) {
      const want = spec.bands[0] === spec.bands[1] ? `${spec.bands[0]}` : `${spec.bands[0]}–${spec.bands[1]}`
      if (!(op === 'i' && chromosomes[0]?.match(/[pq]$/) && total === 0) && !(op === 'der' && total === 0)) {
        error(`${op} needs ${want} break point${spec.bands[1] === 1 ? '' : 's'}, found ${total}: ${spec.describe}.`, start + chrGroup.start - op.length, start + i)
      }
    }
    chain.push(link)
  }
  return { text, start, end, sign, kind: 'structural', rearrangements: chain }
}

/** The parenthesised group starting at text[i] === '(' (no nesting in ISCN groups). */
function group(text: string, i: number): { inner: string; start: number; end: number } | null {
  if (text[i] !== '(') return null
  const close = text.indexOf(')', i)
  if (close < 0) return null
  return { inner: text.slice(i + 1, close), start: i, end: close + 1 }
}

function readBands(g: string, at: number, error: Report): Array<{ name: string; start: number }> {
  const out: Array<{ name: string; start: number }> = []
  let i = 0
  if (!g) {
    error('An empty break-point group.', at, at)
    return out
  }
  while (i < g.length) {
    const m = bandToken.exec(g.slice(i))
    if (!m) {
      error(`Cannot read the band "${g.slice(i)}": bands are written arm + number, e.g. q34 or p15.2.`, at + i, at + g.length)
      break
    }
    out.push({ name: m[0], start: at + i })
    i += m[0].length
  }
  return out
}

function checkBand(chr: ChromosomeType, name: string, at: number, options: ValidateOptions, error: Report): void {
  const ideograms = options.resolution ? options.ideograms.filter((g) => g.resolution === options.resolution) : options.ideograms
  if (ideograms.length === 0) return
  if (ideograms.some((g) => hasBand(chromosomeBands(g, chr), name))) return
  const where = options.resolution
    ? `at ${options.resolution} resolution`
    : `at any of the ${ideograms.map((g) => g.resolution).join('/')}-band resolutions`
  error(`band ${name} does not exist on chromosome ${chr} ${where}`, at, at + name.length)
}

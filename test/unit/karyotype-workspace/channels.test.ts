/**
 * The karyotype.* channels through the real dispatcher (contract validation included): analysis of a
 * real spread, edits and their errors, ISCN prefill and validation, the print karyogram and the report.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import sharp from 'sharp'
import { createAppContext } from '../../../main/app/create-context'
import { repoRoot, sourceResourcesDir } from '../../../main/app/paths'
import { createDispatcher, type Dispatch } from '../../../main/ipc/dispatch'
import { createHandlers } from '../../../main/ipc/handlers'
import type { CellAnalysis, IscnPrefill, IscnValidation, KaryogramImage, MetaphaseAnalysis, Placement, ReportFile } from '../../../preload/karyotype'
import { pdfText } from '../../e2e/karyotype-support'

const spreads = path.join(repoRoot, '..', 'shared', 'datasets', 'chromosomes', 'metaphases', 'cabinh', 'spreads')
const name = '8129A.046.A.png'

async function ok<T>(dispatch: Dispatch, channel: string, args: unknown): Promise<T> {
  const r = await dispatch(channel, args)
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`)
  return r.value as T
}

describe('karyotype channels (main, through the contract)', () => {
  let dispatch: Dispatch
  let dataDir: string
  let image: Uint8Array
  let analysis: MetaphaseAnalysis

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-kt-'))
    dispatch = createDispatcher(createHandlers(createAppContext({ dataDir, resourcesDir: sourceResourcesDir })))
    image = new Uint8Array(await readFile(path.join(spreads, name)))
    analysis = await ok<MetaphaseAnalysis>(dispatch, 'karyotype.analyse', { image, name })
  })
  after(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  it('analyses a spread: objects, one call and one display image each, the dispatch, the hash', async () => {
    const n = analysis.segmentation.objects.length
    assert.ok(n >= 44 && n <= 48, `${n} objects`)
    assert.equal(analysis.calls.length, n)
    assert.equal(analysis.chromosomes.length, n)
    assert.equal(analysis.dispatch.assignments.length, n)
    assert.equal(analysis.display.width * analysis.display.height, analysis.display.data.length)
    assert.match(analysis.sha256, /^[0-9a-f]{64}$/)
    for (const c of analysis.chromosomes) {
      assert.equal(c.data.length, c.width * c.height)
      assert.ok(c.height >= c.width * 0.6, `${c.id} is drawn upright (${c.width}×${c.height})`)
    }
    assert.ok(analysis.calls.every((c) => c.logProbs.length === 24 && Math.abs(c.logProbs.reduce((s, v) => s + Math.exp(v), 0) - 1) < 1e-6))
  })

  it('refuses bytes that are not an image, naming the file, and a segmentation that does not match its masks', async () => {
    const r = await dispatch('karyotype.analyse', { image: new TextEncoder().encode('hello'), name: 'notes.png' })
    assert.equal(r.ok, false)
    assert.equal(!r.ok && r.error.code, 'bad_input')
    assert.match(!r.ok ? r.error.message : '', /^Could not analyse the metaphase: notes\.png is not a readable image/)
    const bad = structuredClone(analysis.segmentation)
    bad.objects[0].mask.data = new Uint8Array(3)
    const e = await dispatch('karyotype.edit', { image, name, segmentation: bad, edit: { op: 'delete', ids: [bad.objects[0].id] } })
    assert.equal(!e.ok && e.error.code, 'invalid_argument')
    assert.match(!e.ok ? e.error.message : '', /mask data must hold width × height values/)
  })

  it('edits: delete, a split line that misses, an unknown id; only the new objects are drawn again', async () => {
    const seg = analysis.segmentation
    const known = seg.objects.map((o) => o.id)
    const del = await ok<CellAnalysis>(dispatch, 'karyotype.edit', { image, name, segmentation: seg, edit: { op: 'delete', ids: [known[0]] }, known })
    assert.equal(del.segmentation.objects.length, seg.objects.length - 1)
    assert.equal(del.chromosomes.length, 0)
    assert.equal(del.calls.length, seg.objects.length - 1)
    const o = seg.objects[1]
    const miss = await dispatch('karyotype.edit', { image, name, segmentation: seg, edit: { op: 'split', id: o.id, line: [[o.box.x - 20, o.box.y - 20], [o.box.x - 10, o.box.y - 20]] } })
    assert.equal(!miss.ok && miss.error.code, 'invalid_argument')
    assert.match(!miss.ok ? miss.error.message : '', /does not cut object/)
    const unknown = await dispatch('karyotype.edit', { image, name, segmentation: seg, edit: { op: 'merge', ids: ['c999', known[0]] } })
    assert.equal(!unknown.ok && unknown.error.code, 'not_found')
    const other = new Uint8Array(await readFile(path.join(spreads, '8129A.004.A.png')))
    const resized = new Uint8Array(await sharp(other).resize(300, 200).png().toBuffer())
    const mismatch = await dispatch('karyotype.edit', { image: resized, name: 'small.png', segmentation: seg, edit: { op: 'delete', ids: [known[0]] } })
    assert.match(!mismatch.ok ? mismatch.error.message : '', /small\.png is 300×200 but the segmentation is/)
  })

  it('writes the ISCN result from cells (one clone, a mosaic) and validates hand-written results', async () => {
    const normal = { ...Object.fromEntries(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21', '22'].map((t) => [t, 2])), X: 1, Y: 1 }
    const one = await ok<IscnPrefill>(dispatch, 'karyotype.iscn', { cells: [normal, normal] })
    assert.deepEqual(one, { cells: ['46,XY', '46,XY'], result: '46,XY[2]' })
    const mos = await ok<IscnPrefill>(dispatch, 'karyotype.iscn', { cells: [normal, { ...normal, '21': 3 }, { ...normal, '21': 3 }] })
    assert.equal(mos.result, 'mos 47,XY,+21[2]/46,XY[1]')
    const v = await ok<IscnValidation>(dispatch, 'karyotype.validateIscn', { text: '46,XY,t(9;22)(q34;q11.2)' })
    assert.equal(v.ok, true)
    const bad = await ok<IscnValidation>(dispatch, 'karyotype.validateIscn', { text: '46,XY,del(5)(p99)', resolution: 550 })
    assert.equal(bad.ok, false)
    assert.match(bad.issues[0].message, /band p99 does not exist on chromosome 5 at 550 resolution/)
  })

  function placements(): Placement[] {
    return analysis.dispatch.assignments.map((a, i) => ({ id: a.id, type: a.type, flip: i === 0, rotate: i === 1 ? 15 : 0 }))
  }

  it('draws the karyogram as a 300-dpi PNG 180 mm wide', async () => {
    const k = await ok<KaryogramImage>(dispatch, 'karyotype.karyogram', { image, name, segmentation: analysis.segmentation, placements: placements(), resolution: 850, caption: 'CG-1 · cell 1' })
    assert.equal(k.width, 2126)
    const meta = await sharp(k.png).metadata()
    assert.equal(meta.format, 'png')
    assert.equal(meta.width, 2126)
    assert.equal(meta.height, k.height)
    assert.equal(meta.density, 300)
    // Not blank: chromosomes and ideograms are drawn.
    const stats = await sharp(k.png).stats()
    assert.ok(stats.channels[0].min < 60 && stats.channels[0].mean > 180, `min ${stats.channels[0].min}, mean ${stats.channels[0].mean}`)
    const unknown = await dispatch('karyotype.karyogram', { image, name, segmentation: analysis.segmentation, placements: [{ id: 'c999', type: '1', flip: false, rotate: 0 }], resolution: 550 })
    assert.match(!unknown.ok ? unknown.error.message : '', /places object c999, which the segmentation does not have/)
  })

  it('makes the PDF report: identifiers, ISCN, interpretation, signer, date, classifier; long text paginates', async () => {
    const args = {
      siteName: 'North Lab Cytogenetics',
      case: { accession: 'CG-2026-0042', patientPseudonym: 'P-91C2', specimen: 'Peripheral blood', indication: 'Recurrent miscarriage' },
      result: { version: 2, iscn: 'mos 47,XY,+21[2]/46,XY[18]', interpretation: 'Mosaic trisomy 21 → see comment ≥ 10% “quoted” ✓.', signedBy: { name: 'Ana Costa', role: 'cytogeneticist' }, signedAt: '2026-03-02T10:15:00.000Z', amendmentReason: 'Cell count corrected' },
      counts: { counted: 20, karyotyped: 5, modal: 46, range: '46–47' },
      classifier: 'chromosome-gband@1.0.0',
      karyogram: { image, name, cellName: '3 (8129A.046.A.png)', segmentation: analysis.segmentation, placements: placements(), resolution: 550 }
    }
    const r = await ok<ReportFile>(dispatch, 'karyotype.report', args)
    assert.equal(r.pages, 1)
    assert.equal(new TextDecoder().decode(r.pdf.subarray(0, 5)), '%PDF-')
    const text = (await pdfText(r.pdf)).join('\n')
    for (const s of ['North Lab Cytogenetics', 'CG-2026-0042', 'P-91C2', 'mos 47,XY,+21[2]/46,XY[18]', 'Ana Costa (cytogeneticist)', '2026-03-02 10:15 UTC', 'chromosome-gband@1.0.0', 'AMENDED REPORT', 'Cell count corrected', 'Mosaic trisomy 21 -> see comment >= 10%']) {
      assert.ok(text.includes(s), `the report holds "${s}"`)
    }
    const long = await ok<ReportFile>(dispatch, 'karyotype.report', { ...args, result: { ...args.result, interpretation: 'A long interpretation sentence. '.repeat(250) } })
    assert.ok(long.pages >= 2, `${long.pages} pages`)
  })
})

describe('the workspace classifier', () => {
  it("runs the registry's active model for the stain: the shipped one, then the lab's own once promoted", async () => {
    const { engineClassifier } = await import('../../../main/karyotype-ipc/classify')
    const { metaphaseImage } = await import('../../../main/karyotype-ipc/image-cache')
    const { segmentSpread } = await import('../../../main/karyotype')
    const { registryFor } = await import('../../../main/ml/registry')
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-labmodel-'))
    try {
      const ctx = createAppContext({ dataDir, resourcesDir: sourceResourcesDir })
      const { read } = await metaphaseImage(new Uint8Array(await readFile(path.join(spreads, name))), name)
      const seg = await segmentSpread(read.image, {})
      const classify = engineClassifier(ctx)
      const shipped = await classify(read.image, seg)
      assert.equal(shipped.classifier.kind, 'model')
      assert.match(shipped.classifier.id, /^chromosome-gband@/)

      // The lab's retrained G-band model (here the shipped file under a new version) is imported and promoted.
      const dir = path.join(sourceResourcesDir, 'models', 'chromosome-gband')
      const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>
      const registry = registryFor(ctx)
      await registry.import({ fileName: 'model.onnx', model: new Uint8Array(await readFile(path.join(dir, 'model.onnx'))), manifest: JSON.stringify({ ...manifest, version: 'lab-1', parent: shipped.classifier.id }) })
      await registry.promote('chromosome-gband@lab-1')
      const promoted = await classify(read.image, seg)
      assert.equal(promoted.classifier.id, 'chromosome-gband@lab-1')
      assert.deepEqual(promoted.calls.map((c) => c.best), shipped.calls.map((c) => c.best), 'the same weights call the same types')
      assert.equal((await registry.active('chromosome-classification', 'qband'))?.manifest.name, 'chromosome-qband', 'Q-banded cells keep their model')
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('falls back to the length/centromere rule, saying why, when no model is installed for the stain', async () => {
    const { engineClassifier } = await import('../../../main/karyotype-ipc/classify')
    const { metaphaseImage } = await import('../../../main/karyotype-ipc/image-cache')
    const { segmentSpread } = await import('../../../main/karyotype')
    const empty = await mkdtemp(path.join(os.tmpdir(), 'lightbox-noresources-'))
    try {
      const ctx = createAppContext({ dataDir: empty, resourcesDir: empty })
      const bytes = new Uint8Array(await readFile(path.join(spreads, name)))
      const { read } = await metaphaseImage(bytes, name)
      const seg = await segmentSpread(read.image, {})
      const r = await engineClassifier(ctx)(read.image, seg)
      assert.equal(r.classifier.kind, 'rule')
      assert.match(r.classifier.description, /No G-banded chromosome classifier is installed/)
      assert.equal(r.calls.length, seg.objects.length)
    } finally {
      await rm(empty, { recursive: true, force: true })
    }
  })
})

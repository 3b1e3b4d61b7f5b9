/**
 * The shipped X-ray heads (resources/models/xray-findings, xray-covid) on the real sample studies: they
 * load, every sample gets finite calibrated scores, the ChestX-ray14 findings without a head are reported
 * as not trained (never scored), site thresholds replace the model's, and damaged input is refused with
 * the file named.
 */
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { before, describe, it } from 'node:test'
import { LabError } from '../../../main/errors'
import { chestXray14, abnormalLabel } from '../../../main/xray/findings/dataset'
import { XrayPipeline } from '../../../main/xray/findings/pipeline'
import { siteThresholdsPath } from '../../../main/xray/calibration/site'
import type { Channel, ChannelArgs, ChannelResult, IpcResult } from '../../../preload/api'
import { createAppContext } from '../../../main/app/create-context'
import { sourceResourcesDir } from '../../../main/app/paths'
import { createDispatcher } from '../../../main/ipc/dispatch'
import { createHandlers } from '../../../main/ipc/handlers'
import { freshDataDir, sampleDicom, samplesDir, shippedPipeline } from './findings-helpers'

describe('shipped X-ray heads on the sample studies', () => {
  let pipeline: XrayPipeline
  before(async () => {
    ;({ pipeline } = await shippedPipeline())
  })

  it('score every sample (DICOM, PNG, JPEG) with finite probabilities and a COVID head that says its caveat', async () => {
    const files = readdirSync(samplesDir).sort()
    assert.ok(files.length >= 6)
    const results = await pipeline.findings(files.map((f) => ({ bytes: readFileSync(path.join(samplesDir, f)), name: f })))
    const manifest = pipeline.findingsHead.info.model.manifest
    for (const r of results) {
      assert.deepEqual(r.findings.map((f) => f.label), manifest.outputs.find((o) => o.name === 'findings')!.labels)
      for (const s of [...r.findings, r.abnormal]) {
        assert.ok(s.score >= 0 && s.score <= 1 && Number.isFinite(s.score), `${r.name} ${s.label} ${s.score}`)
        assert.ok(s.threshold > 0 && s.threshold < 1)
        assert.equal(s.flagged, s.score >= s.threshold)
        assert.equal(s.thresholdSource, 'model')
      }
      assert.ok(r.covid, 'the COVID head is shipped')
      const total = r.covid.probabilities.reduce((a, p) => a + p.probability, 0)
      assert.ok(Math.abs(total - 1) < 1e-4, `probabilities sum to ${total}`)
      assert.match(r.covid.caveat, /source/i)
      assert.equal(r.models.backbone, 'mobilenet-v2@1.1.0')
    }
    // The scores differ between studies (the heads look at the image).
    assert.ok(new Set(results.map((r) => r.abnormal.score.toFixed(4))).size >= 4)
  })

  it('report the findings without a head as not trained, with the reason, and never score them', async () => {
    const [r] = await pipeline.findings([{ bytes: readFileSync(sampleDicom), name: 'cr.dcm' }])
    const scored = r.findings.map((f) => f.label)
    const missing = r.notTrained.map((n) => n.label)
    assert.deepEqual([...scored, ...missing].sort(), [...chestXray14].sort(), 'every ChestX-ray14 finding is either scored or reported')
    assert.ok(missing.length > 0 && missing.includes('Hernia'), 'Hernia (3 images in NIH) has no head')
    for (const n of r.notTrained) assert.match(n.reason, /not trained: \d+ positive training images? \(at least \d+ needed\)/)
    assert.ok(!scored.some((l) => missing.includes(l)))
    await assert.rejects(
      pipeline.heatmaps({ bytes: readFileSync(sampleDicom), name: 'cr.dcm' }, { labels: ['Hernia'] }),
      (e: unknown) => e instanceof LabError && e.code === 'invalid_argument' && /Hernia.*not trained/.test(e.message)
    )
  })

  it('refuse damaged files with the file named', async () => {
    const bytes = readFileSync(sampleDicom)
    for (const [name, data] of [
      ['truncated.dcm', bytes.subarray(0, 4000)],
      ['noise.png', Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) & 255)],
      ['empty.dcm', new Uint8Array(0)]
    ] as const) {
      await assert.rejects(pipeline.findings([{ bytes: data, name }]), (e: unknown) => e instanceof LabError && ['bad_input', 'unsupported'].includes(e.code) && e.message.includes(name), name)
    }
  })
})

describe('site thresholds', () => {
  it("replace the model's label by label and say so", async () => {
    const dataDir = freshDataDir()
    writeFileSync(siteThresholdsPath(dataDir), JSON.stringify({ thresholds: { [abnormalLabel]: 0.001, Pneumonia: 0.999 } }))
    const { pipeline } = await shippedPipeline(dataDir)
    const [r] = await pipeline.findings([{ bytes: readFileSync(sampleDicom), name: 'cr.dcm' }])
    assert.equal(r.abnormal.threshold, 0.001)
    assert.equal(r.abnormal.thresholdSource, 'site')
    assert.equal(r.abnormal.flagged, true)
    const pneumonia = r.findings.find((f) => f.label === 'Pneumonia')!
    assert.equal(pneumonia.threshold, 0.999)
    assert.equal(pneumonia.flagged, pneumonia.score >= 0.999)
    const other = r.findings.find((f) => f.label !== 'Pneumonia')!
    assert.equal(other.thresholdSource, 'model')
    assert.deepEqual(pipeline.thresholds().site, { [abnormalLabel]: 0.001, Pneumonia: 0.999 })
  })

  it('a damaged override file is an error naming it, not silently ignored', async () => {
    const dataDir = freshDataDir()
    writeFileSync(siteThresholdsPath(dataDir), '{"thresholds": {"Pneumonia": 3}}')
    await assert.rejects(shippedPipeline(dataDir), (e: unknown) => e instanceof LabError && e.code === 'bad_input' && e.message.includes('xray-thresholds.json'))
  })
})

describe('the xray.* channels through the contract', () => {
  it('findings, heatmap and thresholds for a study; bad requests refused with plain messages', async () => {
    const dataDir = freshDataDir()
    writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ preferredDevice: 'cpu' }))
    const raw = createDispatcher(createHandlers(createAppContext({ dataDir, resourcesDir: sourceResourcesDir })))
    // The dispatcher is untyped (it validates at run time); the contract types the results.
    const dispatch = <C extends Channel>(channel: C, args: ChannelArgs<C>) => raw(channel, args) as Promise<IpcResult<ChannelResult<C>>>
    const bytes = readFileSync(sampleDicom)
    const findings = await dispatch('xray.findings', { bytes, name: 'cr.dcm' })
    assert.ok(findings.ok, JSON.stringify(findings))
    assert.equal(findings.value.name, 'cr.dcm')
    const heat = await dispatch('xray.heatmap', { bytes, name: 'cr.dcm', labels: ['Pneumonia'], maxSide: 256 })
    assert.ok(heat.ok, JSON.stringify(heat))
    assert.deepEqual(heat.value.display, { width: 256, height: 256 })
    assert.deepEqual(heat.value.heatmaps[0].region, { x: 0, y: 0, width: 256, height: 256 })
    const before = await dispatch('xray.thresholds.get', {})
    assert.ok(before.ok)
    assert.deepEqual(before.value.site, {})
    const set = await dispatch('xray.thresholds.set', { site: { Pneumonia: 0.2 } })
    assert.ok(set.ok)
    assert.deepEqual(set.value.site, { Pneumonia: 0.2 })
    const after = await dispatch('xray.findings', { bytes, name: 'cr.dcm' })
    assert.ok(after.ok)
    assert.deepEqual(
      after.value.findings.filter((f) => f.thresholdSource === 'site').map((f) => [f.label, f.threshold]),
      [['Pneumonia', 0.2]]
    )
    const unknown = await dispatch('xray.thresholds.set', { site: { Hernia: 0.2 } })
    assert.ok(!unknown.ok && unknown.error.code === 'invalid_argument' && /Hernia/.test(unknown.error.message))
    const outOfRange = await dispatch('xray.thresholds.set', { site: { Pneumonia: 2 } })
    assert.ok(!outOfRange.ok && outOfRange.error.code === 'invalid_argument')
    const corrupt = await dispatch('xray.findings', { bytes: bytes.subarray(0, 3000), name: 'cut.dcm' })
    assert.ok(!corrupt.ok && corrupt.error.code === 'bad_input' && corrupt.error.message.includes('cut.dcm'), JSON.stringify(corrupt))
  })
})

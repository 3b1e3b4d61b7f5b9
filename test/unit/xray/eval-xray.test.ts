/**
 * eval-xray: through the CLI on a tiny folder laid out like xray/nih (images linked from the shared set),
 * one JSON object with the required keys; a damaged image is named and left out, not scored; bad
 * folders are refused with a clear message and a non-zero exit. In process, the shipped model on the
 * held-out NIH patients of its own split reaches the required abnormality AUC.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { repoRoot, sourceResourcesDir } from '../../../main/app/paths'
import { ModelRegistry } from '../../../main/ml/registry/registry'
import { evaluateXrayFolder } from '../../../main/xray/eval/evaluate-folder'
import { defaultSplit, readXrayDataset, splitOf } from '../../../main/xray/findings/dataset'
import { cpuRuntime, freshDataDir, nihDir } from './findings-helpers'

function lightbox(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, LIGHTBOX_DATA_DIR: freshDataDir() }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>
}

/** A folder like xray/nih with the given manifest rows (files linked, or written when given as bytes). */
function folder(rows: { file: string; findings: string; patient?: string; bytes?: Uint8Array }[], withPatient = true): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightbox-xray-subset-'))
  for (const r of rows) {
    if (r.bytes) writeFileSync(path.join(dir, r.file), r.bytes)
    else symlinkSync(path.join(nihDir, r.file), path.join(dir, r.file))
  }
  const header = withPatient ? 'file,findings,patient' : 'file,findings'
  writeFileSync(path.join(dir, 'manifest.csv'), [header, ...rows.map((r) => [r.file, `"${r.findings}"`, ...(withPatient ? [r.patient ?? '0'] : [])].join(','))].join('\n') + '\n')
  return dir
}

async function heldOutRows(normal: number, abnormal: number) {
  const d = await readXrayDataset(nihDir, { requirePatients: true })
  const test = d.records.filter((r) => splitOf(r.patient, defaultSplit) === 'test')
  return [...test.filter((r) => r.findings.length === 0).slice(0, normal), ...test.filter((r) => r.findings.length > 0).slice(0, abnormal)].map((r) => ({
    file: r.file,
    findings: r.findings.join('|') || 'No Finding',
    patient: r.patient
  }))
}

describe('eval-xray through the CLI', () => {
  it('prints one JSON object with images, auc, mean_auc, abnormal_auc and seconds; a damaged image is named, not scored', async () => {
    const rows = await heldOutRows(10, 12)
    const dir = folder([...rows, { file: 'broken.png', findings: 'No Finding', patient: '1', bytes: readFileSync(path.join(nihDir, rows[0].file)).subarray(0, 500) }])
    const r = lightbox('eval-xray', dir, '--json')
    assert.equal(r.code, 0, r.stderr)
    const out = lastJson(r.stdout)
    for (const k of ['images', 'auc', 'mean_auc', 'abnormal_auc', 'seconds']) assert.ok(k in out, `the JSON has ${k}`)
    assert.equal(out['images'], 22)
    const auc = out['auc'] as Record<string, number>
    assert.ok('Pneumonia' in auc, 'Pneumonia has ≥ 10 positive images here')
    for (const [label, v] of Object.entries(auc)) {
      assert.ok(v >= 0 && v <= 1, label)
      assert.ok((out['positives'] as Record<string, number>)[label] >= 10, `${label} is reported only with ≥ 10 positives`)
    }
    assert.equal(out['mean_auc'], Math.round((Object.values(auc).reduce((a, b) => a + b, 0) / Object.values(auc).length) * 10000) / 10000)
    assert.ok((out['abnormal_auc'] as number) > 0.7, `abnormal_auc ${out['abnormal_auc']}`)
    assert.ok((out['seconds'] as number) > 0)
    assert.deepEqual(out['failed'], [{ file: 'broken.png', problem: (out['failed'] as { problem: string }[])[0].problem }])
    assert.match((out['failed'] as { problem: string }[])[0].problem, /broken\.png/)
    assert.ok((out['not_trained'] as string[]).includes('Hernia'))
  })

  it('refuses a folder without a manifest, and --split test without patients, with a clear message', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'lightbox-xray-empty-'))
    const none = lightbox('eval-xray', empty, '--json')
    assert.notEqual(none.code, 0)
    assert.match(none.stderr, /manifest\.csv/)
    const rows = await heldOutRows(1, 1)
    const noPatients = lightbox('eval-xray', folder(rows, false), '--split', 'test', '--json')
    assert.notEqual(noPatients.code, 0)
    assert.match(noPatients.stderr, /patient/)
    const badSplit = lightbox('eval-xray', folder(rows), '--split', 'validation')
    assert.notEqual(badSplit.code, 0)
    assert.match(badSplit.stderr, /--split must be one of/)
  })
})

describe('the shipped findings model on the held-out NIH patients', () => {
  it(`reaches abnormal_auc ≥ 0.88 (--split test)`, async (t) => {
    const dataDir = freshDataDir()
    const runtime = cpuRuntime()
    const result = await evaluateXrayFolder(nihDir, { split: 'test', registry: new ModelRegistry(dataDir, sourceResourcesDir, runtime), runtime })
    t.diagnostic(`${result.images} images: abnormal_auc ${result.abnormal_auc}, mean_auc ${result.mean_auc}, ${JSON.stringify(result.auc)}`)
    assert.ok(result.images >= 150)
    assert.ok(result.abnormal_auc! >= 0.88, `abnormal_auc ${result.abnormal_auc}`)
    assert.ok(result.mean_auc! >= 0.8, `mean_auc ${result.mean_auc}`)
  })
})

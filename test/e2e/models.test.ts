import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sourceResourcesDir } from '../../main/app/paths'
import { ensureMobilenet, mobilenetId } from '../../main/ml/backbone/mobilenet'
import { headManifest, linearHead } from '../unit/ml/registry-fixtures'
import { signInAsNewReviewer, startApp, type E2EApp } from './harness'

describe('Models screen, end to end in Chromium against the real handler table', () => {
  let app: E2EApp
  let files: string

  before(async () => {
    await ensureMobilenet(sourceResourcesDir)
    files = await mkdtemp(path.join(os.tmpdir(), 'lightbox-e2e-models-'))
    for (const v of ['1', '2']) {
      await writeFile(path.join(files, `head-${v}.onnx`), linearHead())
      await writeFile(path.join(files, `head-${v}.json`), JSON.stringify(headManifest({ version: v })))
    }
    await writeFile(path.join(files, 'wrong.onnx'), linearHead('scores', 3))
    await writeFile(path.join(files, 'wrong.json'), JSON.stringify(headManifest({ version: '9' })))
    app = await startApp()
  })
  after(async () => {
    await app?.close()
    await rm(files, { recursive: true, force: true })
  })

  it('shows the devices tried and the shipped backbone, imports, promotes, rolls back and deletes with a replacement', async () => {
    const { page } = app
    await signInAsNewReviewer(page)
    await page.getByRole('button', { name: 'Models' }).click()
    await page.getByRole('heading', { name: 'Models', exact: true }).waitFor()

    // The runtime: tried on request here; every provider is listed with its reason, and the status bar follows.
    const tryNow = page.getByRole('button', { name: 'Try the devices now' })
    if (await tryNow.isVisible()) await tryNow.click()
    const providers = page.getByTestId('inference-providers')
    await providers.locator('tr.active').waitFor()
    assert.match(await providers.locator('tr.active').innerText(), /cpu\s+active/)
    assert.match(await providers.innerText(), /cuda\s+failed\s+CUDA libraries could not be loaded/)
    assert.match(await providers.innerText(), /dml\s+skipped\s+DirectML runs on Windows only/)
    assert.equal(await page.getByTestId('inference-device').innerText(), `CPU · ${os.availableParallelism()} threads`)

    const table = page.getByTestId('model-table')
    const backbone = table.locator(`tr[data-model="${mobilenetId}"]`)
    await backbone.waitFor()
    assert.match(await backbone.innerText(), /shipped\s+active/)

    const form = page.getByRole('form', { name: 'Import a model' })
    const importPair = async (name: string): Promise<void> => {
      await form.locator('input[name="model"]').setInputFiles(path.join(files, `${name}.onnx`))
      await form.locator('input[name="manifest"]').setInputFiles(path.join(files, `${name}.json`))
      await form.getByRole('button', { name: 'Import' }).click()
    }

    // A graph that does not match its manifest is refused with main's message, and nothing is stored.
    await importPair('wrong')
    const error = page.getByTestId('import-error')
    await error.waitFor()
    assert.match(await error.innerText(), /Could not import the model: wrong\.onnx does not match its manifest: the graph has no output "logits" \(it has "scores"\)/)
    assert.equal(await table.locator('tr[data-model="pneumonia-head@9"]').count(), 0)

    await importPair('head-1')
    await table.locator('tr[data-model="pneumonia-head@1"]').waitFor()
    await importPair('head-2')
    const v1 = table.locator('tr[data-model="pneumonia-head@1"]')
    const v2 = table.locator('tr[data-model="pneumonia-head@2"]')
    await v2.waitFor()
    assert.equal(await v2.locator('.badge').count(), 0, 'an imported model waits to be made active')

    await v1.getByRole('button', { name: 'Make active' }).click()
    await v1.locator('.badge').waitFor()
    await v2.getByRole('button', { name: 'Make active' }).click()
    await v2.locator('.badge').waitFor()
    await v1.locator('.badge').waitFor({ state: 'detached' })
    assert.equal(await v1.locator('.badge').count(), 0)
    await page.locator('.content').evaluate((el) => el.scrollTo(0, 0))
    await app.screenshot('models')

    await table.locator('tbody[data-slot="xray-covid"]').getByRole('button', { name: 'Roll back' }).click()
    await v1.locator('.badge').waitFor()

    // The active model can only be deleted with a replacement.
    const del = v1.getByRole('button', { name: 'Delete' })
    assert.equal(await del.isDisabled(), true)
    await v1.getByRole('combobox', { name: 'Replacement for pneumonia-head@1' }).selectOption('pneumonia-head@2')
    await del.click()
    await v1.waitFor({ state: 'detached' })
    await v2.locator('.badge').waitFor()

    // The renderer mirrored every step into Dexie, audited under the reviewer's name.
    const audit = await page.evaluate(async () => {
      const open = indexedDB.open('lightbox')
      const db = await new Promise<IDBDatabase>((resolve, reject) => ((open.onsuccess = () => resolve(open.result)), (open.onerror = () => reject(open.error))))
      const all = db.transaction('audit').objectStore('audit').getAll()
      const rows = await new Promise<{ entity: string; entityId: string; summary: string; reviewerName: string }[]>((resolve) => (all.onsuccess = () => resolve(all.result)))
      return rows.filter((r) => r.entity === 'models').map((r) => `${r.entityId}: ${r.summary} (${r.reviewerName})`)
    })
    assert.ok(audit.includes('pneumonia-head@2: imported (Dana Whitfield)'), audit.join('\n'))
    assert.ok(audit.includes('pneumonia-head@2: promoted; active: false → true (Dana Whitfield)'), audit.join('\n'))
    assert.ok(audit.includes('pneumonia-head@1: deleted (replaced by pneumonia-head@2) (Dana Whitfield)'), audit.join('\n'))
  })
})

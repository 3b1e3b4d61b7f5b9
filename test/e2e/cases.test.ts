import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { signInAsNewReviewer, startApp, type E2EApp } from './harness'

describe('cases, end to end in Chromium against the real handler table', () => {
  let app: E2EApp

  before(async () => {
    app = await startApp()
  })
  after(async () => {
    await app?.close()
  })

  it('asks who is working, then creates a case that search finds and a reload keeps, with its audit entry', async () => {
    const { page } = app
    await signInAsNewReviewer(page, 'Dana Whitfield', 'DW', 'technologist')
    await page.getByRole('button', { name: 'New case' }).click()
    const form = page.getByRole('form', { name: 'New case' })
    await form.locator('select[name="kind"]').selectOption('karyotype')
    await form.locator('input[name="accession"]').fill('CG-2026-0042')
    await form.locator('input[name="patientPseudonym"]').fill('P-91C2')
    await form.locator('input[name="specimen"]').fill('Peripheral blood, PHA culture')
    await form.locator('input[name="indication"]').fill('Recurrent miscarriage')
    await form.getByRole('button', { name: 'Create case' }).click()
    await page.getByRole('heading', { name: /Case CG-2026-0042/ }).waitFor()

    // A second case, so that search has something to leave out.
    await page.getByRole('button', { name: '← All cases' }).click()
    await page.getByRole('button', { name: 'New case' }).click()
    await form.locator('select[name="kind"]').selectOption('xray')
    await form.locator('input[name="accession"]').fill('XR-2026-0107')
    await form.locator('input[name="patientPseudonym"]').fill('P-44D0')
    await form.locator('input[name="specimen"]').fill('Chest PA')
    await form.getByRole('button', { name: 'Create case' }).click()
    await page.getByRole('heading', { name: /Case XR-2026-0107/ }).waitFor()
    await page.getByRole('button', { name: '← All cases' }).click()

    const rows = page.getByTestId('case-table').locator('tbody tr')
    await page.locator('input[name="search"]').fill('miscarriage')
    // The list refreshes from a live query after each keystroke: wait for the other case to leave it.
    await rows.filter({ hasText: 'XR-2026-0107' }).waitFor({ state: 'detached' })
    await rows.filter({ hasText: 'CG-2026-0042' }).waitFor()
    assert.equal(await rows.count(), 1)

    await page.locator('input[name="search"]').fill('')
    await rows.filter({ hasText: 'XR-2026-0107' }).waitFor()
    assert.equal(await rows.count(), 2)
    await app.screenshot('cases')

    await page.reload()
    await page.getByTestId('current-reviewer').waitFor()
    await page.locator('input[name="search"]').fill('CG-2026-0042')
    await rows.filter({ hasText: 'CG-2026-0042' }).click()
    const trail = page.getByTestId('audit-trail')
    await trail.getByText('Dana Whitfield').waitFor()
    const text = await trail.innerText()
    assert.match(text, /create\s+cases: created/)
  })

  it('shows an invalid IPC argument as a readable error and changes nothing', async () => {
    const { page, ctx } = app
    const settingsFile = path.join(ctx.dataDir, 'settings.json')
    await page.getByRole('button', { name: 'Settings' }).click()
    const form = page.getByRole('form', { name: 'Settings' })
    await form.locator('input[name="siteName"]').fill('North Lab')
    await form.locator('input[name="inferenceThreads"]').fill('2')
    await form.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Settings saved.').waitFor()
    const before = await readFile(settingsFile, 'utf8')

    await form.locator('input[name="siteName"]').fill('Changed Lab')
    await form.locator('input[name="inferenceThreads"]').fill('lots')
    await form.getByRole('button', { name: 'Save settings' }).click()
    const error = page.getByTestId('settings-error')
    await error.waitFor()
    assert.equal(await error.innerText(), 'Could not update the settings: patch.inferenceThreads: expected number')
    assert.equal(await readFile(settingsFile, 'utf8'), before)

    // The same through window.lab directly, as any renderer code would call it.
    const raw = await page.evaluate(() => window.lab.invoke('settings.update', { patch: { inferenceThreads: -3 } } as never))
    assert.deepEqual(raw.ok, false)
    assert.equal(!raw.ok && raw.error.code, 'invalid_argument')
    assert.equal(!raw.ok && raw.error.message, 'Could not update the settings: patch.inferenceThreads: must be at least 0')
    assert.equal(await readFile(settingsFile, 'utf8'), before)
    assert.equal(JSON.parse(before).siteName, 'North Lab')
  })
})

describe('settings, end to end, when main answers slowly', () => {
  let app: E2EApp

  before(async () => {
    app = await startApp({ delays: { 'settings.get': 1500 } })
  })
  after(async () => {
    await app?.close()
  })

  it('keeps the fields disabled until the stored settings arrive, so what is typed is what is saved', async () => {
    const { page, ctx } = app
    await signInAsNewReviewer(page, 'Ines Okafor', 'IO', 'technologist')
    await page.getByRole('button', { name: 'Settings' }).click()
    const form = page.getByRole('form', { name: 'Settings' })
    const siteName = form.locator('input[name="siteName"]')
    assert.equal(await siteName.isDisabled(), true, 'no typing before the stored values are shown')
    // fill waits until the field is enabled, as a person would.
    await siteName.fill('South Lab')
    await form.locator('input[name="inferenceThreads"]').fill('1')
    await form.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Settings saved.').waitFor()
    const stored = JSON.parse(await readFile(path.join(ctx.dataDir, 'settings.json'), 'utf8')) as { siteName: string; inferenceThreads: number }
    assert.equal(stored.siteName, 'South Lab')
    assert.equal(stored.inferenceThreads, 1)
    assert.equal(await siteName.inputValue(), 'South Lab')
  })
})

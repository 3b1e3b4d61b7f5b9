import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { signInAsNewReviewer, startApp, type E2EApp } from './harness'
import { cabinhSpreads, importSpreads, openNewKaryotypeCase, pdfText, waitForAttribute } from './karyotype-support'

/** A 46-object spread of the cabinh case (46,XY). */
const spread = path.join(cabinhSpreads, '8129A.001.A.png')
const accession = 'CG-2026-0107'

describe('karyotyping workspace, end to end in Chromium (1366×768) against the real handler table', () => {
  let app: E2EApp
  let objects = 0

  before(async () => {
    app = await startApp({ viewport: { width: 1366, height: 768 } })
    await signInAsNewReviewer(app.page, 'Maren Holt', 'MH', 'cytogeneticist')
  })
  after(async () => {
    await app?.close()
  })

  it('imports a spread into a new case, shows its segmentation, and a karyogram with every object placed', async () => {
    const { page } = app
    await openNewKaryotypeCase(page, { accession, patientPseudonym: 'P-3E11', specimen: 'Peripheral blood, PHA culture', indication: 'Recurrent miscarriage' })
    await importSpreads(page, [spread])
    const card = page.getByTestId('cell-card').first()
    assert.match(await card.innerText(), /Cell 1[\s\S]*8129A\.001\.A\.png/)
    // The count is prefilled from the engine.
    const engineCount = Number(await page.locator('input[name="count"]').inputValue())
    await page.getByRole('button', { name: 'Confirm count' }).click()
    await page.getByRole('button', { name: 'Change count' }).waitFor()
    assert.equal(await page.getByTestId('cells-counted').innerText(), '1')
    assert.equal(await page.getByTestId('modal-number').innerText(), String(engineCount))
    assert.match(await page.getByTestId('mosaicism').innerText(), /All 1 cell counted/)

    await page.keyboard.press('m')
    const metaphase = page.getByTestId('metaphase')
    await metaphase.waitFor()
    objects = Number(await metaphase.getAttribute('data-objects'))
    assert.equal(objects, engineCount)
    assert.ok(objects >= 44 && objects <= 48, `a 46-chromosome spread gave ${objects} objects`)
    assert.equal(await page.getByTestId('object-outline').count(), objects)
    // Every outline is coloured by its assigned type.
    const types = await page.getByTestId('object-outline').evaluateAll((els) => els.map((e) => e.getAttribute('data-type')))
    assert.ok(types.every((t) => t !== null && t !== ''), 'every object has a type')

    await page.keyboard.press('k')
    await page.getByTestId('karyogram').waitFor()
    assert.equal(await page.getByTestId('chromosome').count(), objects)
    assert.equal(await page.getByTestId('bin').getAttribute('data-count'), '0')
    const perSlot = await page.getByTestId('slot').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))))
    assert.equal(perSlot.length, 24)
    assert.equal(perSlot.reduce((s, n) => s + n, 0), objects)
    assert.equal(await page.getByTestId('count-total').innerText(), String(objects))
    assert.equal(await page.getByTestId('slot').locator('svg.ideogram').count(), 24, 'an ideogram beside every pair')
  })

  it('refuses a file that is not an image, naming it, and stores nothing', async () => {
    const { page } = app
    await page.keyboard.press('c')
    await page.locator('input[name="metaphases"]').setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG') })
    const notice = page.getByRole('alert').filter({ hasText: 'broken.png' })
    await notice.waitFor()
    assert.match(await notice.innerText(), /broken\.png is not a readable image/)
    assert.equal(await page.getByTestId('cell-card').count(), 1)
  })

  it('drags a chromosome to another pair and flips another; a reload finds both changes', async () => {
    const { page } = app
    await page.keyboard.press('k')
    await page.getByTestId('karyogram').waitFor()
    const moved = page.locator('[data-testid="slot"][data-type="1"] [data-testid="chromosome"]').first()
    const movedId = (await moved.getAttribute('data-id')) as string
    const slot2 = page.locator('[data-testid="slot"][data-type="2"]')
    const before2 = Number(await slot2.getAttribute('data-count'))
    await moved.dragTo(slot2)
    const movedTile = page.locator(`[data-testid="chromosome"][data-id="${movedId}"]`)
    await waitForAttribute(page, `[data-testid="chromosome"][data-id="${movedId}"]`, 'data-type', '2')
    assert.equal(Number(await slot2.getAttribute('data-count')), before2 + 1)

    const flipped = page.locator('[data-testid="slot"][data-type="3"] [data-testid="chromosome"]').first()
    const flippedId = (await flipped.getAttribute('data-id')) as string
    const wasFlipped = (await flipped.getAttribute('data-flip')) === 'true'
    await flipped.dblclick()
    const flippedTile = page.locator(`[data-testid="chromosome"][data-id="${flippedId}"]`)
    await waitForAttribute(page, `[data-testid="chromosome"][data-id="${flippedId}"]`, 'data-flip', String(!wasFlipped))

    await page.reload()
    await page.getByTestId('karyogram').waitFor()
    await movedTile.waitFor()
    assert.equal(await movedTile.getAttribute('data-type'), '2')
    assert.equal(await flippedTile.getAttribute('data-flip'), String(!wasFlipped))
    // Moving it back by keyboard: select, type the pair, Enter.
    await movedTile.click()
    await page.keyboard.type('1')
    await page.keyboard.press('Enter')
    await waitForAttribute(page, `[data-testid="chromosome"][data-id="${movedId}"]`, 'data-type', '1')

    await page.keyboard.press('c')
    await page.getByRole('button', { name: 'Show the audit trail' }).click()
    const trail = page.getByTestId('audit-trail')
    await trail.getByText(`object ${movedId}: moved from 1 to 2`).waitFor()
    await trail.getByText(`object ${flippedId}: turned p-arm`).waitFor()
  })

  it('splits an object along a drawn line, merges the pieces back, and undoes and redoes the merge', async () => {
    const { page } = app
    // Back in through the Karyotyping worklist.
    await page.getByRole('button', { name: 'Karyotyping' }).click()
    await page.getByTestId('case-table').locator('tbody tr').filter({ hasText: accession }).click()
    await page.getByRole('heading', { name: accession }).waitFor()
    await page.keyboard.press('m')
    const metaphase = page.getByTestId('metaphase')
    await metaphase.waitFor()
    const n = Number(await metaphase.getAttribute('data-objects'))
    // Zoom in and back to fit.
    const zoomLabel = metaphase.locator('.zoom span')
    const fitted = await zoomLabel.innerText()
    await page.keyboard.press('+')
    assert.notEqual(await zoomLabel.innerText(), fitted)
    await page.keyboard.press('0')
    assert.equal(await zoomLabel.innerText(), fitted)
    // The tallest upright object: cut it across its middle.
    const boxes = await page.getByTestId('object-outline').evaluateAll((els) =>
      els.map((e) => ({ id: e.getAttribute('data-id'), ...JSON.parse(JSON.stringify(e.getBoundingClientRect())) as DOMRect }))
    )
    const target = boxes.filter((b) => b.height > 1.6 * b.width).sort((a, b) => b.height - a.height)[0]
    assert.ok(target, 'an upright chromosome to split')
    await page.keyboard.press('s')
    const y = target.y + target.height / 2
    await page.mouse.move(target.x - 12, y)
    await page.mouse.down()
    for (let k = 1; k <= 8; k++) await page.mouse.move(target.x - 12 + ((target.width + 24) * k) / 8, y)
    await page.mouse.up()
    await waitForAttribute(page, '[data-testid="metaphase"]', 'data-objects', String(n + 1))
    assert.equal(await page.locator(`[data-testid="object-outline"][data-id="${target.id}"]`).count(), 0, 'the split object is gone')

    // The two pieces are selected after the split: merge them (G).
    await page.keyboard.press('v')
    await page.keyboard.press('g')
    await waitForAttribute(page, '[data-testid="metaphase"]', 'data-objects', String(n))
    await page.keyboard.press('Control+z')
    await waitForAttribute(page, '[data-testid="metaphase"]', 'data-objects', String(n + 1))
    await page.keyboard.press('Control+y')
    await waitForAttribute(page, '[data-testid="metaphase"]', 'data-objects', String(n))
    objects = n
  })

  it('signs the case with the ISCN written from the cell; the case locks; the PDF report holds the ISCN; an amendment keeps version 1', async () => {
    const { page } = app
    await page.keyboard.press('k')
    await page.getByRole('button', { name: 'Mark karyotyped' }).click()
    await page.getByRole('button', { name: 'Karyotyped ✓' }).waitFor()

    await page.keyboard.press('r')
    const prefill = page.getByTestId('iscn-prefill')
    await prefill.waitFor()
    const iscn = (await prefill.locator('code').innerText()).trim()
    assert.match(iscn, /^\d+,[XY?]+/)
    await prefill.getByRole('button', { name: 'Use' }).click()
    assert.equal(await page.locator('input[name="iscn"]').inputValue(), iscn)
    await page.getByTestId('iscn-validation').getByText(/Valid ISCN/).waitFor()

    // Live validation: a band that does not exist is named.
    await page.locator('input[name="iscn"]').fill('46,XY,t(9;22)(q37;q11.2)')
    await page.getByTestId('iscn-validation').getByText(/band q37 does not exist on chromosome 9/).waitFor()
    await page.locator('input[name="iscn"]').fill(iscn)
    await page.getByTestId('iscn-validation').getByText(/Valid ISCN/).waitFor()

    await page.locator('textarea[name="interpretation"]').fill('Karyotype of one G-banded metaphase at the 550-band level.')
    await page.getByRole('button', { name: 'Sign…' }).click()
    await page.getByRole('button', { name: 'Sign and lock' }).click()
    await page.getByTestId('case-status').filter({ hasText: 'signed · locked' }).waitFor()

    // Locked: the karyogram cannot be dragged.
    await page.keyboard.press('k')
    assert.equal(await page.getByTestId('chromosome').first().getAttribute('draggable'), 'false')

    await page.keyboard.press('r')
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: 'Report (PDF)' }).click()])
    assert.equal(download.suggestedFilename(), `${accession}-karyotype-report-v1.pdf`)
    const pdf = new Uint8Array(await readFile(await download.path()))
    const text = (await pdfText(pdf)).join('\n')
    assert.ok(text.includes(iscn), `the report holds ${iscn}: ${text.slice(0, 400)}`)
    assert.match(text, new RegExp(accession))
    assert.match(text, /Maren Holt \(cytogeneticist\)/)

    await page.getByRole('button', { name: 'Amend…' }).click()
    await page.locator('input[name="amend-reason"]').fill('Interpretation to be reworded')
    await page.getByRole('button', { name: 'Open amendment' }).click()
    const versions = page.getByTestId('result-versions')
    await versions.getByText('v2').waitFor()
    const listed = await versions.innerText()
    assert.match(listed, /v1\s+signed by Maren Holt/)
    assert.match(listed, /v2\s+draft/)
    assert.notEqual(await page.getByTestId('case-status').innerText(), 'signed · locked')
  })
})

/**
 * Regenerates the karyotyping screenshots in docs/screenshots/ from real data: a case with metaphases
 * from a folder of spreads (default: ../shared/datasets/chromosomes/metaphases/cabinh/spreads), counted,
 * one karyotyped, the result written. Drives the built app in Chromium like the end-to-end tests.
 *
 *   npx tsx scripts/karyotype-screenshots.ts [spreads-dir] [--build] [--width 1440 --height 900] [--out dir]
 *
 * --build runs `electron-vite build` first (needed once after a change to the renderer).
 */
import { spawnSync } from 'node:child_process'
import { mkdir, readdir } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { repoRoot } from '../main/app/paths'
import { signInAsNewReviewer, startApp } from '../test/e2e/harness'
import { importSpreads, openNewKaryotypeCase } from '../test/e2e/karyotype-support'

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const args = argv.filter((a, i) => !a.startsWith('--') && !['--width', '--height', '--out'].includes(argv[i - 1]))
  const dir = path.resolve(args[0] ?? path.join(repoRoot, '..', 'shared', 'datasets', 'chromosomes', 'metaphases', 'cabinh', 'spreads'))
  const files = (await readdir(dir)).filter((f) => /\.(png|jpe?g|tiff?|bmp)$/i.test(f)).sort().slice(0, 4).map((f) => path.join(dir, f))
  if (files.length === 0) throw new Error(`No metaphase images in ${dir}.`)
  if (process.argv.includes('--build') && spawnSync('npx', ['electron-vite', 'build'], { cwd: repoRoot, stdio: 'inherit' }).status !== 0) {
    throw new Error('The build failed.')
  }
  const outAt = argv.indexOf('--out')
  const out = outAt >= 0 ? path.resolve(argv[outAt + 1]) : path.join(repoRoot, 'docs', 'screenshots')
  await mkdir(out, { recursive: true })
  const viewport = { width: option('--width', 1440), height: option('--height', 900) }
  const app = await startApp({ viewport })
  const { page } = app
  const shot = async (name: string) => {
    // Confirmations fade on their own; close them so they do not cover the screen.
    for (const b of await page.getByRole('button', { name: 'Dismiss' }).all()) await b.click().catch(() => {})
    await page.waitForTimeout(400)
    await page.screenshot({ path: path.join(out, `${name}.png`) })
    process.stderr.write(`${path.join(out, name)}.png\n`)
  }
  try {
    await signInAsNewReviewer(page, 'Maren Holt', 'MH', 'cytogeneticist')
    await openNewKaryotypeCase(page, {
      accession: 'CG-2026-0107',
      patientPseudonym: 'P-3E11',
      specimen: 'Peripheral blood, PHA-stimulated culture',
      indication: 'Recurrent pregnancy loss'
    })
    await importSpreads(page, files)
    // Count the first cells as the engine found them; the first one is then karyotyped.
    const cards = page.getByTestId('cell-card')
    for (let i = 0; i < Math.min(3, files.length); i++) {
      await cards.nth(i).click()
      await page.getByRole('button', { name: 'Confirm count' }).click()
      await page.getByRole('button', { name: 'Change count' }).waitFor()
    }
    await cards.first().click()
    await shot('karyotype-case')

    await page.keyboard.press('m')
    await page.getByTestId('metaphase').waitFor()
    const outline = page.getByTestId('object-outline').nth(8)
    const box = await outline.boundingBox()
    if (box) await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
    await page.getByTestId('object-details').waitFor()
    await shot('karyotype-metaphase')

    await page.keyboard.press('k')
    await page.getByTestId('karyogram').waitFor()
    await page.locator('[data-testid="slot"][data-type="7"] [data-testid="chromosome"]').first().click()
    await page.getByTestId('object-details').waitFor()
    await shot('karyotype-karyogram')
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: 'Export PNG' }).click()])
    await sharp(await download.path()).resize({ width: 1400 }).png().toFile(path.join(out, 'karyotype-karyogram-print.png'))
    process.stderr.write(`${path.join(out, 'karyotype-karyogram-print.png')}\n`)

    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'Mark karyotyped' }).click()
    await page.keyboard.press('r')
    await page.getByTestId('iscn-prefill').getByRole('button', { name: 'Use' }).click()
    await page.getByTestId('iscn-validation').getByText(/Valid ISCN/).waitFor()
    await page.locator('textarea[name="interpretation"]').fill(
      'G-banded analysis of peripheral blood lymphocytes at the 550-band level. Three metaphases counted, one karyotyped.'
    )
    await shot('karyotype-result')
  } finally {
    await app.close()
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})

/** Helpers for the karyotyping end-to-end tests: a new case, a spread imported, PDF text. */
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { repoRoot } from '../../main/app/paths'

const standardFonts = path.join(path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts')

export const cabinhSpreads = path.join(repoRoot, '..', 'shared', 'datasets', 'chromosomes', 'metaphases', 'cabinh', 'spreads')

export interface NewKaryotypeCase {
  accession: string
  patientPseudonym: string
  specimen: string
  indication: string
}

/** Creates a karyotype case through the New case form and opens its karyotyping workspace. */
export async function openNewKaryotypeCase(page: Page, c: NewKaryotypeCase): Promise<void> {
  await page.getByRole('button', { name: 'Cases' }).click()
  await page.getByRole('button', { name: 'New case' }).click()
  const form = page.getByRole('form', { name: 'New case' })
  await form.locator('select[name="kind"]').selectOption('karyotype')
  await form.locator('input[name="accession"]').fill(c.accession)
  await form.locator('input[name="patientPseudonym"]').fill(c.patientPseudonym)
  await form.locator('input[name="specimen"]').fill(c.specimen)
  await form.locator('input[name="indication"]').fill(c.indication)
  await form.getByRole('button', { name: 'Create case' }).click()
  await page.getByRole('button', { name: 'Open karyotyping workspace' }).click()
  await page.getByRole('heading', { name: c.accession }).waitFor()
}

/** Imports metaphase files through the gallery's file input and waits until they are listed. */
export async function importSpreads(page: Page, files: string[]): Promise<void> {
  const before = await page.getByTestId('cell-card').count()
  await page.locator('input[name="metaphases"]').setInputFiles(files)
  await page.getByTestId('cell-card').nth(before + files.length - 1).waitFor({ timeout: 60_000 })
}

// pdfjs-dist 6 calls Promise.withResolvers, which Node gained in version 22; Lightbox supports Node 20.
const promiseCtor = Promise as unknown as { withResolvers?: () => unknown }
promiseCtor.withResolvers ??= function withResolvers<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

/** Waits until an element's attribute has a value; the error names what was awaited and what was seen. */
export async function waitForAttribute(page: Page, selector: string, attribute: string, value: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForFunction(([s, a, v]) => document.querySelector(s)?.getAttribute(a) === v, [selector, attribute, value] as const, { timeout })
  } catch {
    const seen = await page.evaluate(([s, a]) => document.querySelector(s)?.getAttribute(a) ?? '(no element)', [selector, attribute] as const)
    throw new Error(`${selector} [${attribute}] is ${seen}, not ${value}, after ${timeout} ms`)
  }
}

/** The text of every page of a PDF, one string per page (items joined by spaces). */
export async function pdfText(bytes: Uint8Array): Promise<string[]> {
  const task = getDocument({ data: bytes, useSystemFonts: false, standardFontDataUrl: `${standardFonts}/` })
  const doc = await task.promise
  const pages: string[] = []
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent()
    pages.push(content.items.map((it) => ('str' in it ? it.str : '')).join(' '))
  }
  await task.destroy()
  return pages
}

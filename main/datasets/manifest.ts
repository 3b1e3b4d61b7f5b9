import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { LabError } from '../errors'

export interface Manifest {
  /** The dataset folder; `file` columns are relative to it. */
  dir: string
  columns: string[]
  rows: Record<string, string>[]
}

/**
 * Reads `<dir>/<name>` (a CSV with a header row). Every tool that reads a dataset takes the folder as an
 * argument and goes through here, so held-out data in the same format works unchanged.
 */
export async function readManifest(dir: string, name = 'manifest.csv', required: string[] = []): Promise<Manifest> {
  const file = path.join(dir, name)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new LabError('not_found', `No ${name} in ${dir}: a dataset folder needs its manifest.`, { file })
  }
  let rows: Record<string, string>[]
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true })
  } catch (err) {
    throw new LabError('bad_input', `${file} is not valid CSV: ${(err as Error).message}`, { file })
  }
  const columns = rows.length > 0 ? Object.keys(rows[0]) : text.split(/\r?\n/)[0].split(',').map((c) => c.trim())
  const missing = required.filter((c) => !columns.includes(c))
  if (missing.length > 0) {
    throw new LabError('bad_input', `${file} lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`, { file })
  }
  return { dir, columns, rows }
}

/** The first of `candidates` the manifest has (e.g. 'cell' in gband, 'case' in qband). */
export function pickColumn(manifest: Manifest, candidates: string[]): string {
  const found = candidates.find((c) => manifest.columns.includes(c))
  if (!found) {
    throw new LabError('bad_input', `The manifest in ${manifest.dir} has none of the columns ${candidates.join(', ')}.`)
  }
  return found
}

/** Default location of the shared datasets, beside the repository. */
export function sharedDatasetsDir(repoRoot: string): string {
  return process.env['LIGHTBOX_DATASETS'] ?? path.resolve(repoRoot, '..', 'shared', 'datasets')
}

/**
 * Per-site thresholds: `<data folder>/xray-thresholds.json` overrides the thresholds a model ships with
 * (chosen on its validation data), label by label, for the whole site:
 *
 *   { "thresholds": { "Pneumonia": 0.35, "Abnormal": 0.5 } }
 *
 * A site that wants fewer missed findings lowers a threshold; one drowning in flags raises it. Labels are
 * the finding names (ChestX-ray14 spelling, e.g. "Pleural_Thickening"), "Abnormal" for the abnormality
 * score. Written through a temporary file and a rename, so a crash never leaves half a file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { LabError } from '../../errors'

export const siteThresholdsFile = 'xray-thresholds.json'

const schema = z.object({ thresholds: z.record(z.string().min(1), z.number().min(0).max(1)) }).strict()
export type SiteThresholds = z.infer<typeof schema>

export function siteThresholdsPath(dataDir: string): string {
  return path.join(dataDir, siteThresholdsFile)
}

/** The site's overrides; none when the file does not exist. A damaged file is an error, never ignored. */
export async function readSiteThresholds(dataDir: string): Promise<Record<string, number>> {
  const file = siteThresholdsPath(dataDir)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new LabError('bad_input', `Could not read ${file}: ${(err as Error).message}`, { file })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new LabError('bad_input', `${file} is not valid JSON; fix or delete it to use the models' own thresholds.`, { file })
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    throw new LabError('bad_input', `${file} must be {"thresholds": {"<finding>": <probability between 0 and 1>, …}}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}.`, { file })
  }
  return parsed.data.thresholds
}

/** Replaces the site's overrides (an empty record removes them all). */
export async function writeSiteThresholds(dataDir: string, thresholds: Record<string, number>): Promise<Record<string, number>> {
  const parsed = schema.safeParse({ thresholds })
  if (!parsed.success) throw new LabError('invalid_argument', `Thresholds must be probabilities between 0 and 1 by finding name.`)
  const file = siteThresholdsPath(dataDir)
  await mkdir(dataDir, { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(parsed.data, null, 2) + '\n', 'utf8')
  await rename(tmp, file)
  return parsed.data.thresholds
}

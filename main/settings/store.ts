import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { defaultSettings, settingsSchema, type Settings } from '../../preload/api'
import { LabError } from '../errors'

/**
 * App settings in `<dataDir>/settings.json`. Written to a temporary file and renamed, so a crash
 * mid-write never leaves a half-written file.
 */
export class SettingsStore {
  readonly file: string
  private cached: Settings | null = null

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json')
  }

  async get(): Promise<Settings> {
    if (this.cached) return this.cached
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (this.cached = { ...defaultSettings })
      throw err
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new LabError('bad_input', `The settings file ${this.file} is not valid JSON.`, { file: this.file })
    }
    // Unknown or missing fields from an older version fall back to defaults.
    const parsed = settingsSchema.partial().safeParse(json)
    if (!parsed.success) {
      throw new LabError('bad_input', `The settings file ${this.file} has invalid values.`, { file: this.file })
    }
    return (this.cached = { ...defaultSettings, ...parsed.data })
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const next = settingsSchema.parse({ ...(await this.get()), ...patch })
    await mkdir(path.dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(next, null, 2) + '\n', 'utf8')
    await rename(tmp, this.file)
    this.cached = next
    return next
  }
}

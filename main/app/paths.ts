import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Electron's userData folder for "Lightbox", computed without Electron so that the CLI and the app
 * share settings and user models. LIGHTBOX_DATA_DIR overrides it (tests, portable installs).
 */
export function defaultDataDir(): string {
  const override = process.env['LIGHTBOX_DATA_DIR']
  if (override) return path.resolve(override)
  const home = os.homedir()
  switch (process.platform) {
    case 'win32':
      return path.join(process.env['APPDATA'] ?? path.join(home, 'AppData', 'Roaming'), 'Lightbox')
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Lightbox')
    default:
      return path.join(process.env['XDG_CONFIG_HOME'] ?? path.join(home, '.config'), 'Lightbox')
  }
}

/** The repository root when running from source (CLI, tests, benchmarks). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export const sourceResourcesDir = path.join(repoRoot, 'resources')

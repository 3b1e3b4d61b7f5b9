import type { Channel, ChannelResult, ValidArgs } from '../../preload/api'
import type { AppContext } from '../app/context'
import { appInfo } from '../app/info'
import { SettingsStore } from '../settings/store'

/** One async function per channel of the contract, typed from it. */
export type Handlers = { [C in Channel]: (args: ValidArgs<C>) => Promise<ChannelResult<C>> }

/**
 * The handler table, built from plain Node modules. main/index.ts binds it to ipcMain; the e2e test
 * bridge binds the same table into a Chromium page.
 */
export function createHandlers(ctx: AppContext): Handlers {
  const settings = new SettingsStore(ctx.dataDir)
  return {
    'app.info': async () => appInfo(ctx),
    'settings.get': async () => settings.get(),
    'settings.update': async ({ patch }) => settings.update(patch)
  }
}

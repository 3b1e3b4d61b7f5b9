import type { Channel, ChannelResult, ValidArgs } from '../../preload/api'
import type { AppContext } from '../app/context'
import { appInfo } from '../app/info'
import { karyotypeHandlers } from '../karyotype-ipc/handlers'
import { featureHandlers } from '../ml/features/handlers'
import { headHandlers } from '../ml/heads/handlers'
import { modelHandlers } from '../ml/registry/handlers'
import { runtimeFor } from '../ml/runtime'
import { SettingsStore } from '../settings/store'
import { xrayFindingsHandlers } from '../xray/handlers'
import { xrayViewHandlers } from '../xray/preprocess/view'

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
    'settings.update': async ({ patch }) => {
      const next = await settings.update(patch)
      // A new device or thread count takes effect at once (the runtime tries the providers again).
      await runtimeFor(ctx).configure(next)
      return next
    },
    ...modelHandlers(ctx),
    ...featureHandlers(ctx),
    ...headHandlers(ctx),
    ...xrayViewHandlers(),
    ...xrayFindingsHandlers(ctx),
    ...karyotypeHandlers(ctx)
  }
}

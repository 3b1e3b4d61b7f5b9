/**
 * The bridge: exposes exactly `LabApi` as `window.lab`, nothing else. Runs sandboxed; every call goes
 * through one IPC channel and main validates it against the contract.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import {
  eventNames,
  ipcEventChannel,
  ipcInvokeChannel,
  isChannel,
  type LabApi,
  type LabEvent,
  type LabEvents
} from './api'

type Listener = (payload: LabEvents[LabEvent]) => void
const listeners = new Map<LabEvent, Set<Listener>>()

ipcRenderer.on(ipcEventChannel, (_event: IpcRendererEvent, name: LabEvent, payload: LabEvents[LabEvent]) => {
  for (const listener of listeners.get(name) ?? []) listener(payload)
})

const lab: LabApi = {
  invoke(channel, args) {
    if (!isChannel(channel)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'unknown_channel', message: `There is no operation called "${String(channel)}".` }
      })
    }
    return ipcRenderer.invoke(ipcInvokeChannel, channel, args)
  },
  on(event, listener) {
    if (!eventNames.includes(event)) throw new Error(`Unknown event "${String(event)}"`)
    const set = listeners.get(event) ?? new Set<Listener>()
    listeners.set(event, set)
    set.add(listener as Listener)
    return () => set.delete(listener as Listener)
  }
}

contextBridge.exposeInMainWorld('lab', lab)

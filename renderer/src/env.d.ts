/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { LabApi } from '../../preload/api'

declare global {
  interface Window {
    /** Exposed by the preload (or, in end-to-end tests, by the test bridge). */
    lab: LabApi
  }
}

export const views = ['cases', 'karyotyping', 'xray', 'models', 'settings'] as const
export type View = (typeof views)[number]

export interface Route {
  view: View
  /** An open case, e.g. #/cases/<id>. */
  caseId: string | null
}

function parse(hash: string): Route {
  const [view, caseId] = hash.replace(/^#\/?/, '').split('/')
  return {
    view: (views as readonly string[]).includes(view) ? (view as View) : 'cases',
    caseId: caseId ? decodeURIComponent(caseId) : null
  }
}

/** Hash-based navigation, so a reload returns to the same screen. */
export class Router {
  #route = $state.raw<Route>(parse(location.hash))

  constructor() {
    window.addEventListener('hashchange', () => (this.#route = parse(location.hash)))
  }

  get route(): Route {
    return this.#route
  }

  go(view: View, caseId: string | null = null): void {
    location.hash = caseId ? `#/${view}/${encodeURIComponent(caseId)}` : `#/${view}`
  }
}

export const router = new Router()

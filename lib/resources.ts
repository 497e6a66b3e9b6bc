import type { FastifyBaseLogger } from 'fastify'
import { withDeadline } from './deadline'
import { ResourceTimeoutError } from './errors'
import { assertFunction, assertNewName, assertOptions } from './names'
import { duration } from './options'
import { describeError } from './redact'

export interface ResourceOptions {
  /** Milliseconds the close may take before it is abandoned. Default: the `closeTimeout` option. */
  timeout?: number
}

export type CloseFunction = () => unknown

interface Resource { name: string, close: CloseFunction, timeout: number }

/** Things to close after the server, in reverse registration order, each within its own timeout. */
export class Resources {
  readonly #resources: Resource[] = []
  readonly #defaultTimeout: number

  constructor (defaultTimeout: number) {
    this.#defaultTimeout = defaultTimeout
  }

  add (name: unknown, close: unknown, options: unknown = {}): Resource {
    assertNewName('resource', name, { has: (n) => this.#resources.some((r) => r.name === n) })
    assertFunction(`health.resource("${name}")`, close, 'a function () => void | Promise<void> that closes it')
    assertOptions(`health.resource("${name}")`, options, ['timeout'])
    const { timeout } = options as ResourceOptions
    return { name, close: close as CloseFunction, timeout: duration(`health.resource("${name}") timeout`, timeout, this.#defaultTimeout, { positive: true }) }
  }

  /** Keeps a resource that add() validated (the caller checks the budget in between). */
  keep (resource: Resource): void {
    this.#resources.push(resource)
  }

  get timeouts (): number[] {
    return this.#resources.map((r) => r.timeout)
  }

  /** Closes them all, newest first; returns the names of those that threw or hung. */
  async closeAll (log: FastifyBaseLogger): Promise<string[]> {
    const failed: string[] = []
    for (const resource of [...this.#resources].reverse()) {
      try {
        const closed = await withDeadline(resource.timeout, async () => { await resource.close() })
        if (closed.expired) throw new ResourceTimeoutError(resource.name, resource.timeout)
        log.debug({ resource: resource.name }, `closed resource "${resource.name}"`)
      } catch (error) {
        failed.push(resource.name)
        log.error({ resource: resource.name, reason: describeError(error) }, `resource "${resource.name}" did not close cleanly; closing the others`)
      }
    }
    return failed
  }
}

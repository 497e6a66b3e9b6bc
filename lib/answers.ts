/** A probe's answer as it goes on the wire. */
export interface Answer {
  statusCode: number
  contentType: string
  body: string
}

/**
 * Probe answers, serialized once and kept until what they depend on changes: a check's outcome,
 * the lifecycle state, rotation, startup progress (each calls invalidate()), or the moment a kept
 * result turns stale (validUntil). Probes are hit constantly and these change rarely: a probe costs
 * one lookup, whatever the number of checks.
 */
export class AnswerCache {
  readonly #entries = new Map<string, { version: number, validUntil: number, answer: Answer }>()
  readonly #validUntil: () => number
  #version = 0

  constructor (validUntil: () => number) {
    this.#validUntil = validUntil
  }

  invalidate (): void {
    this.#version++
  }

  get (key: string, compute: () => Answer): Answer {
    const entry = this.#entries.get(key)
    if (entry !== undefined && entry.version === this.#version && Date.now() <= entry.validUntil) return entry.answer
    const answer = compute()
    this.#entries.set(key, { version: this.#version, validUntil: this.#validUntil(), answer })
    return answer
  }
}

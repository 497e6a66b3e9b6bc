import t, { type Test } from 'tap'
import Fastify from 'fastify'
import swagger from '@fastify/swagger'
import zeroDowntime = require('../lib/index')

// @fastify/swagger 9 (OpenAPI 3): the probes are listed only when asked, and then as they are served.
async function openapi (t: Test, options: zeroDowntime.ZeroDowntimeOptions): Promise<{ paths: Record<string, any>, app: ReturnType<typeof Fastify> }> {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(swagger, { openapi: { info: { title: 'svc', version: '1.0.0' } } })
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, ...options })
  app.get('/orders', async () => [])
  await app.ready()
  return { paths: (app.swagger() as { paths: Record<string, any> }).paths, app }
}

t.test('by default the probes stay out of the public API docs', async (t) => {
  const { paths } = await openapi(t, {})
  t.same(Object.keys(paths), ['/orders'])
})

t.test('openapi: true lists each probe with its summary, tag, queries and content types', async (t) => {
  const { paths, app } = await openapi(t, { openapi: true })
  t.same(Object.keys(paths).sort(), ['/health', '/livez', '/livez/{name}', '/orders', '/readyz', '/readyz/{name}', '/startupz'])
  const ready = paths['/readyz'].get
  t.match(ready, { summary: 'Readiness probe', tags: ['health'] })
  t.same(ready.parameters.map((p: { name: string, in: string }) => `${p.in}:${p.name}`).sort(), ['query:exclude', 'query:verbose'])
  t.match(ready.parameters.find((p: { name: string }) => p.name === 'verbose'), { description: /text\/plain, one line per check/ })
  for (const code of ['200', '503']) t.same(Object.keys(ready.responses[code].content).sort(), ['application/json', 'text/plain'], `readyz ${code}`)
  t.same(Object.keys(paths['/health'].get.responses['200'].content), ['application/health+json'])
  t.same(Object.keys(paths['/readyz/{name}'].get.responses['404'].content), ['application/json'])
  t.ok(paths['/readyz/{name}'].get.parameters.some((p: { name: string, in: string }) => p.in === 'path' && p.name === 'name'), 'the check name, a path parameter')
  // Documented is served the same: the bodies and types the document says.
  t.match((await app.inject('/readyz?verbose&exclude=a&exclude=b')).headers['content-type'], /^text\/plain/)
  t.equal((await app.inject('/readyz')).body, '{"status":"pass"}')
  t.equal((await app.inject('/readyz/nope')).statusCode, 404)
  t.match((await app.inject('/health')).headers['content-type'], 'application/health+json')
})

t.test('openapi must be a boolean', async (t) => {
  await t.rejects(async () => { await Fastify().register(zeroDowntime, { openapi: 'yes' } as never) }, { code: 'FST_ZD_INVALID_OPTION', message: /Invalid option "openapi": got "yes", expected a boolean/ })
})

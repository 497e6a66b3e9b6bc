// Run by tap before any test (package.json "tap.before"): one line about the services the tests
// use, so that a missing one is named at the start, not after minutes of skipped or failed tests.
// With ZD_REQUIRE_SERVICES set (CI) the first missing service ends the run here, by name.
import { missingServices } from './services'

async function main (): Promise<void> {
  const missing = await missingServices()
  const required = process.env.ZD_REQUIRE_SERVICES !== undefined
  if (missing.length === 0) {
    console.log('# services: postgres, mysql, redis, amqp, nats, mqtt all reachable')
  } else if (required) {
    const [first] = missing
    console.error(`missing service: ${first.name} is not reachable at ${first.host} (ZD_REQUIRE_SERVICES is set): ${first.start}`)
    process.exitCode = 1
  } else {
    console.log(`# services not reachable, their tests are skipped: ${missing.map((m) => `${m.name} (${m.host})`).join(', ')}; README "Services for the tests" says how to start each`)
  }
}

main().catch((error: unknown) => { console.error(error); process.exitCode = 1 })

import type { MqttClient as MqttClientShape } from './clients'
import { abortable, hasMethods, invalidClient, oneAtATime, timed, withClose, type BuiltInCheck } from './common'
import { assertOptions } from '../names'

interface MqttClient { connected: boolean, reconnecting: boolean, publishAsync: (topic: string, message: string, options: { qos: 1, retain: false }) => Promise<unknown>, endAsync: () => Promise<void> }

export interface MqttCheckOptions {
  /** Topic of the QoS 1 publish whose PUBACK is the round trip (nobody needs to subscribe). Default: `'fastify-zero-downtime/health'`. */
  topic?: string
}

/**
 * A QoS 1 publish of an empty, non-retained message: the broker's PUBACK is the round trip (MQTT
 * has no application-level ping). A client that is not connected fails at once, as its publishes
 * would only queue up while it reconnects.
 */
export function mqtt (client: MqttClientShape, options: MqttCheckOptions = {}): BuiltInCheck {
  assertOptions('checks.mqtt()', options, ['topic'])
  if (!hasMethods(client, 'publishAsync', 'endAsync') || typeof (client as { connected?: unknown }).connected !== 'boolean') {
    return invalidClient('mqtt', 'an mqtt.js client (from mqtt.connect())', client)
  }
  const mq = client as unknown as MqttClient
  const topic = options.topic ?? 'fastify-zero-downtime/health'
  // A publish waits in the client's outgoing store for its PUBACK (and is sent again on reconnect):
  // later runs wait for that same one.
  const publish = oneAtATime(async () => await mq.publishAsync(topic, '', { qos: 1, retain: false }), { share: true })
  return withClose(async ({ signal }) => {
    if (!mq.connected) return { status: 'fail', output: mq.reconnecting ? 'not connected (reconnecting)' : 'not connected' }
    return await timed(async () => await abortable(publish(signal), signal))
  }, async () => { await mq.endAsync() })
}

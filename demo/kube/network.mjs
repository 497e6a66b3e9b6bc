// The node's network, as on a Kubernetes node, inside network namespaces this demo creates: a
// "node" namespace with a bridge (the CNI's), one namespace per pod on a veth, and the Service
// as the iptables rules kube-proxy writes. Nothing outside these namespaces is touched: the host's
// iptables and routes stay as they were, and deleting the namespaces removes everything.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'

export const PREFIX = 'zdk-'
export const NODE = `${PREFIX}node`
const BRIDGE = 'zdkbr0'
export const GATEWAY = '10.213.0.1'
const POD_NET = '10.213.0'
export const SERVICE_CIDR = '10.214.0.0/24'

const run = (command, args, input) => execFileSync(command, args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], encoding: 'utf8' })
const ip = (...args) => run('ip', args)
const inNode = (command, args, input) => run('ip', ['netns', 'exec', NODE, command, ...args], input)

/** Whether this machine can run the demo: Linux, root, ip and iptables-restore. */
export function preflight () {
  if (process.platform !== 'linux') return 'needs Linux (network namespaces)'
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and iptables)'
  for (const tool of [['ip', ['-V']], ['iptables-restore', ['--version']]]) {
    try { run(tool[0], tool[1]) } catch { return `needs ${tool[0]} (apt-get install -y iproute2 iptables)` }
  }
  return undefined
}

/** Removes every namespace this demo made (after a crash too: --cleanup), killing what runs in them. */
export function cleanup () {
  const names = ip('netns', 'list').split('\n').map((line) => line.split(' ')[0]).filter((name) => name.startsWith(PREFIX))
  for (const name of names) {
    for (const pid of ip('netns', 'pids', name).split('\n').filter(Boolean)) kill(Number(pid))
    ip('netns', 'del', name)
  }
  // And by mark: a pod or driver whose namespace is already gone, or that started while we listed.
  killMarked()
  return names
}

/** Kills every process the demo started (but this one). */
export function killMarked () {
  for (const pid of marked()) kill(pid)
}

const kill = (pid) => { try { process.kill(pid, 'SIGKILL') } catch {} }

/** The processes this demo started (pods and the driver inside the node), by the mark in their environment. */
export function marked () {
  const pids = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1')
      if (environ.includes(`${MARK}=1\0`)) pids.push(pid)
    } catch {}
  }
  return pids
}

/** Set in the environment of every process the demo starts. */
export const MARK = 'ZD_KUBE_DEMO'

export function createNode () {
  cleanup()
  ip('netns', 'add', NODE)
  ip('-n', NODE, 'link', 'set', 'lo', 'up')
  ip('-n', NODE, 'link', 'add', BRIDGE, 'type', 'bridge')
  ip('-n', NODE, 'addr', 'add', `${GATEWAY}/24`, 'dev', BRIDGE)
  ip('-n', NODE, 'link', 'set', BRIDGE, 'up')
  // A route for the Service CIDR, as a node's default route gives: the VIP must be routable before DNAT.
  ip('-n', NODE, 'route', 'add', SERVICE_CIDR, 'dev', BRIDGE)
}

/** A pod's sandbox: its own namespace and address on the node's bridge. */
export function createPodNetwork (index) {
  const name = `${PREFIX}pod-${index}`
  const address = `${POD_NET}.${10 + index}`
  ip('netns', 'add', name)
  ip('-n', name, 'link', 'set', 'lo', 'up')
  ip('-n', NODE, 'link', 'add', `zdkv${index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name)
  ip('-n', NODE, 'link', 'set', `zdkv${index}`, 'master', BRIDGE, 'up')
  ip('-n', name, 'addr', 'add', `${address}/24`, 'dev', 'eth0')
  ip('-n', name, 'link', 'set', 'eth0', 'up')
  ip('-n', name, 'route', 'add', 'default', 'via', GATEWAY)
  return { namespace: name, address }
}

export function deletePodNetwork (namespace) {
  try { ip('netns', 'del', namespace) } catch {}
}

// kube-proxy's chain names (pkg/proxy/iptables/proxier.go): a hash of the service port name and
// protocol (and the endpoint, for a KUBE-SEP chain), base32, first 16 characters.
const hash = (text) => base32(createHash('sha256').update(text).digest()).slice(0, 16)
function base32 (bytes) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5 }
  }
  return out
}

/**
 * The nat table kube-proxy (v1.31, iptables mode) writes for one ClusterIP Service port: KUBE-SERVICES
 * matches the VIP, KUBE-SVC-* picks an endpoint at random (probability 1/n, then 1/(n-1), ...,
 * the last one unconditional), KUBE-SEP-* DNATs to it. With no endpoint, the filter table rejects.
 * Applied atomically with iptables-restore; conntrack keeps established flows on their pod.
 */
export function serviceRules ({ name, vip, port, protocol = 'tcp' }, endpoints) {
  const servicePort = `default/${name}:http`
  const svc = `KUBE-SVC-${hash(servicePort + protocol)}`
  const seps = endpoints.map((endpoint) => ({ endpoint, chain: `KUBE-SEP-${hash(servicePort + protocol + endpoint)}` }))
  const nat = ['*nat', ':KUBE-SERVICES - [0:0]', ':KUBE-MARK-MASQ - [0:0]', ':KUBE-POSTROUTING - [0:0]', `:${svc} - [0:0]`, ...seps.map((s) => `:${s.chain} - [0:0]`)]
  nat.push('-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000')
  nat.push('-A KUBE-POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE')
  if (seps.length > 0) nat.push(`-A KUBE-SERVICES -d ${vip}/32 -p ${protocol} -m comment --comment "${servicePort} cluster IP" -m ${protocol} --dport ${port} -j ${svc}`)
  seps.forEach((s, i) => {
    const left = seps.length - i
    const pick = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(10)} ` : ''
    nat.push(`-A ${svc} -m comment --comment "${servicePort} -> ${s.endpoint}" ${pick}-j ${s.chain}`)
    nat.push(`-A ${s.chain} -s ${s.endpoint.split(':')[0]}/32 -m comment --comment "${servicePort}" -j KUBE-MARK-MASQ`)
    nat.push(`-A ${s.chain} -p ${protocol} -m comment --comment "${servicePort}" -m ${protocol} -j DNAT --to-destination ${s.endpoint}`)
  })
  nat.push('COMMIT')
  const filter = ['*filter', ':KUBE-SERVICES - [0:0]']
  if (seps.length === 0) filter.push(`-A KUBE-SERVICES -d ${vip}/32 -p ${protocol} -m comment --comment "${servicePort} has no endpoints" -m ${protocol} --dport ${port} -j REJECT --reject-with icmp-port-unreachable`)
  filter.push('COMMIT')
  return [...filter, ...nat].join('\n') + '\n'
}

/** The Service on the node: apply(endpoints) writes its rules in one iptables-restore, as each kube-proxy sync does. */
export function createService (service) {
  // The chains and the jumps from the built-in chains, once per node (kube-proxy ensures them the same way).
  const ensureChain = (table, chain) => { try { inNode('iptables', ['-t', table, '-N', chain]) } catch {} }
  const ensureRule = (table, rule) => { try { inNode('iptables', ['-t', table, '-C', ...rule]) } catch { inNode('iptables', ['-t', table, '-A', ...rule]) } }
  ensureChain('nat', 'KUBE-SERVICES')
  ensureChain('nat', 'KUBE-POSTROUTING')
  ensureChain('filter', 'KUBE-SERVICES')
  ensureRule('nat', ['OUTPUT', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'])
  ensureRule('nat', ['PREROUTING', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'])
  ensureRule('nat', ['POSTROUTING', '-m', 'comment', '--comment', 'kubernetes postrouting rules', '-j', 'KUBE-POSTROUTING'])
  ensureRule('filter', ['OUTPUT', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'KUBE-SERVICES'])
  const chainsOf = (rules) => new Set(rules.split('\n').filter((line) => line.startsWith(':KUBE-SEP-')).map((line) => line.slice(1).split(' ')[0]))
  let written = new Set()
  return {
    apply (endpoints) {
      const rules = serviceRules(service, endpoints)
      // Chains of endpoints that left are flushed and deleted in the same transaction, as kube-proxy does.
      const live = chainsOf(rules)
      const stale = [...written].filter((chain) => !live.has(chain))
      const withStale = rules.replace(/COMMIT\n$/, `${stale.map((c) => `:${c} - [0:0]\n`).join('')}${stale.map((c) => `-X ${c}\n`).join('')}COMMIT\n`)
      inNode('iptables-restore', ['--noflush'], withStale)
      written = live
      return rules
    }
  }
}

'use strict'
// A Node.js ILP-over-HTTP load generator for bench/connector.py: the generator shape that costs CPU
// like a real peer (measured by default next to `wrk`, or alone with --generator node).
// `concurrency` closed loops, each POSTing one fixed Prepare over a keep-alive connection and
// sending the next when the reply arrives, for a duration. With "rate" (packets/s) instead, an
// open loop: one Prepare every 1/rate s on a schedule, whether or not earlier ones were answered
// (keep-alive connections, a new one only when all are busy), for the idle/low-traffic CPU figure.
// The last 16 bytes of the Prepare (the end of its data, which must be at least 16 bytes long)
// are replaced by a counter, cycling through RING distinct packets, as bench/ilp_prepare.lua does:
// ilp-connector's deduplicate middleware would answer repeated packets from its cache.
//
// Config (JSON, argv[2] or env ILP_JS_CONFIG):
//   {"url": "http://127.0.0.1:N/", "token": "<Bearer token>", "body": "<Prepare, hex>",
//    "concurrency": 10, "durationMs": 5000, "warmupMs": 1000}
// or "urls": [url, …] instead of "url": the loops take the URLs in turn (loop i sends to
// urls[i % n]), to load several node processes at once; or "rate": 100 instead of
// "concurrency" for the open loop (packet i goes to urls[i % n]).
// Prints `MEASURING` when the warm-up ends (the harness samples CPU time from then), then one
// line `RESULT {"requests", "fulfilled", "rejected", "rejectCodes": {code: n}, "errors",
// "seconds", "packetsPerSecond", "p50Ms", "p99Ms"}` (warm-up not counted).
// A reply is a Fulfill when its first byte is 13 and a Reject when it is 14; anything else, a
// non-200 status or a transport error counts in "errors".
const http = require('http')

const RING = 20000

function rejectCode (body) {
  const first = body[1]
  const start = 2 + (first < 128 ? 0 : first & 0x7f)
  return body.subarray(start, start + 3).toString('ascii')
}

function percentile (sorted, fraction) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]
}

async function main () {
  const config = JSON.parse(process.argv[2] !== undefined ? process.argv[2] : process.env.ILP_JS_CONFIG)
  const urls = (config.urls || [config.url]).map((text) => new URL(text))
  const body = Buffer.from(config.body, 'hex')
  const ring = Array.from({ length: RING }, (_, i) => {
    const packet = Buffer.from(body)
    packet.write(i.toString(16).padStart(16, '0'), body.length - 16, 'latin1')
    return packet
  })
  let next = 0
  const concurrency = config.concurrency || 1
  const rate = config.rate || 0
  // Open loop: a connection per packet in flight, however many that takes (a slow connector
  // must not hold the schedule back); closed loops: one each.
  const maxSockets = rate ? 256 : concurrency
  const agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 60000 }))
  const targets = urls.map((url, i) => ({
    agent: agents[i],
    method: 'POST',
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      authorization: `Bearer ${config.token}`
    }
  }))
  const stats = { requests: 0, fulfilled: 0, rejected: 0, rejectCodes: {}, errors: 0 }
  const latencies = []
  let measuring = false

  function once (options) {
    return new Promise((resolve) => {
      const started = process.hrtime.bigint()
      const req = http.request(options, (res) => {
        const chunks = []
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('end', () => {
          if (measuring) {
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6)
            stats.requests += 1
            const reply = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
            if (res.statusCode !== 200) stats.errors += 1
            else if (reply[0] === 13) stats.fulfilled += 1
            else if (reply[0] === 14) {
              stats.rejected += 1
              const code = rejectCode(reply)
              stats.rejectCodes[code] = (stats.rejectCodes[code] || 0) + 1
            } else stats.errors += 1
          }
          resolve()
        })
      })
      req.on('error', () => {
        if (measuring) stats.errors += 1
        resolve()
      })
      next = (next + 1) % RING
      req.end(ring[next])
    })
  }

  let running = true
  async function loop (_, i) {
    const options = targets[i % targets.length]
    while (running) await once(options)
  }
  // One Prepare every 1/rate s by the clock (a late timer sends at once, so the rate holds);
  // resolves when the last one sent has its answer.
  async function paced () {
    const interval = 1000 / rate
    const start = performance.now()
    const pending = new Set()
    for (let i = 0; running; i++) {
      const wait = start + i * interval - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      if (!running) break
      const sent = once(targets[i % targets.length])
      pending.add(sent)
      sent.then(() => pending.delete(sent))
    }
    await Promise.all(pending)
  }
  const loops = rate ? [paced()] : Array.from({ length: concurrency }, loop)
  await new Promise((resolve) => setTimeout(resolve, config.warmupMs || 0))
  measuring = true
  process.stdout.write('MEASURING\n')
  const started = process.hrtime.bigint()
  await new Promise((resolve) => setTimeout(resolve, config.durationMs || 5000))
  measuring = false
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  running = false
  await Promise.all(loops)
  for (const agent of agents) agent.destroy()
  latencies.sort((a, b) => a - b)
  process.stdout.write(`RESULT ${JSON.stringify({
    ...stats,
    seconds,
    packetsPerSecond: stats.requests / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99)
  })}\n`)
}

main().catch((error) => {
  process.stderr.write(`FATAL ${error.stack || error}\n`)
  process.exit(1)
})

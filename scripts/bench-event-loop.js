#!/usr/bin/env node
// Does training inside a Node service leave its event loop answering? Runs an HTTP server, then
// trains (library API, in the same process) while a client requests every 5 ms, and prints the
// event-loop delay (perf_hooks.monitorEventLoopDelay) and request latency percentiles, idle vs
// starting (from run() to the 'start' event: config, data, session, upload) vs training, side by
// side. Targets: p99 event-loop delay < 20 ms while training; ≤ 100 ms blocked while starting
// (loading the .node file itself is timed on its own line: it happens once per process).
//
//   node scripts/bench-event-loop.js [--config FILE] [--epochs N] [--set KEY=VALUE ...]
const http = require('http');
const os = require('os');
const path = require('path');
const { monitorEventLoopDelay, performance } = require('perf_hooks');
const { parseArgs } = require('util');

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    epochs: { type: 'string', default: '4' },
    set: { type: 'string', multiple: true, default: [] },
    'idle-ms': { type: 'string', default: '2000' },
  },
});

const { Trainer, isNativeAvailable, nativeLoadError } = require(path.join(__dirname, '..'));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Measures for as long as `work` runs: event-loop delay histogram and request round trips. */
async function measure(port, work) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const latencies = [];
  let running = true;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const client = (async () => {
    while (running) {
      const t0 = performance.now();
      await new Promise((resolve, reject) => {
        http.get({ port, path: '/health', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
      });
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  // The longest gap between 1 ms ticks: a block at the very end of a short phase would reach the
  // histogram only after it is disabled, so gaps are also timed directly, one tick past the end.
  let last = performance.now();
  let longestGap = 0;
  const tick = () => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  };
  const ticker = setInterval(tick, 1);
  h.enable();
  const t0 = performance.now();
  const result = await work();
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2));
  clearInterval(ticker);
  tick();
  h.disable();
  running = false;
  await client;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    seconds,
    result,
    loopP50: h.percentile(50) / 1e6,
    loopP99: h.percentile(99) / 1e6,
    loopMax: h.max / 1e6,
    longestGap,
    requests: latencies.length,
    reqP50: percentile(latencies, 50),
    reqP99: percentile(latencies, 99),
  };
}

async function main() {
  const loadStart = performance.now();
  const available = isNativeAvailable();
  const loadMs = performance.now() - loadStart;
  if (!available) {
    console.error(`native addon unavailable: ${nativeLoadError().message}`);
    process.exitCode = 1;
    return;
  }
  const server = http.createServer((req, res) => res.end('ok'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const outputDir = require('fs').mkdtempSync(path.join(os.tmpdir(), 'tn-eventloop-'));
  try {
    const idle = await measure(port, () => new Promise((r) => setTimeout(r, Number(values['idle-ms']))));
    const trainer = new Trainer({
      configFile: values.config,
      sets: [`TRAIN.EPOCHS=${values.epochs}`, `EXPERIMENT.OUTPUT_DIR=${outputDir}`, ...values.set],
      progress: 'none',
    });
    const started = new Promise((resolve) => trainer.once('start', resolve));
    let running;
    const starting = await measure(port, () => {
      running = trainer.run();
      return Promise.race([started, running]);
    });
    const training = await measure(port, () => running);
    const r = training.result;
    console.log(`loading the addon (once per process, before the table): ${loadMs.toFixed(0)} ms`);
    console.log(`training: ${r.step} steps in ${training.seconds.toFixed(1)} s, status ${r.status}, metrics ${JSON.stringify(r.metrics)}`);
    console.log('');
    console.log('| phase    | seconds | loop p50 ms | loop p99 ms | loop max ms | longest gap ms | requests | request p50 ms | request p99 ms |');
    console.log('|----------|--------:|------------:|------------:|------------:|---------------:|---------:|---------------:|---------------:|');
    for (const [name, m] of [['idle', idle], ['starting', starting], ['training', training]]) {
      console.log(
        `| ${name.padEnd(8)} | ${m.seconds.toFixed(1).padStart(7)} | ${m.loopP50.toFixed(2).padStart(11)} | ${m.loopP99.toFixed(2).padStart(11)} | ` +
          `${m.loopMax.toFixed(2).padStart(11)} | ${m.longestGap.toFixed(2).padStart(14)} | ${String(m.requests).padStart(8)} | ${m.reqP50.toFixed(2).padStart(14)} | ${m.reqP99.toFixed(2).padStart(14)} |`,
      );
    }
    console.log('');
    console.log(`target: p99 event-loop delay while training < 20 ms: ${training.loopP99 < 20 ? 'met' : 'MISSED'} (${training.loopP99.toFixed(2)} ms)`);
    const block = Math.max(starting.loopMax, starting.longestGap);
    console.log(`target: event loop blocked ≤ 100 ms while starting: ${block <= 100 ? 'met' : 'MISSED'} (longest block ${block.toFixed(2)} ms)`);
  } finally {
    server.close();
    require('fs').rmSync(outputDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exitCode = 1;
});

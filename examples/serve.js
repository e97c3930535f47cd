// Train in the background and serve predictions from the current best checkpoint, in one Node
// process (node:http only). Every time training writes a checkpoint that becomes the new best,
// the server loads it and answers from it; requests in flight finish on the model they started
// with (a model's dispose() runs after the work already queued on its session).
//
//   node examples/serve.js [CONFIG] [--port 8080]      # default: the built-in quickstart config
//
//   curl -s localhost:8080/health
//   curl -s localhost:8080/predict -d '{"features": [[0.1, -0.3, ...32 numbers...]]}'
//
// POST /predict takes {"features": [[...], ...]} (mlp) or {"tokens": [[...], ...]} (transformer)
// and answers {"checkpoint", "step", "predictions": [{"label", "class_id", "probabilities"}]}
// (regression: {"values"}). Before the first best checkpoint it answers 503.
const http = require('http');
const path = require('path');
const { Trainer, loadConfig, loadModel } = require('..');

function parseArgs(argv) {
  const out = { config: undefined, port: Number(process.env.PORT || 8080) };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') out.port = Number(argv[++i]);
    else out.config = argv[i];
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { config } = loadConfig({ file: args.config });
  const stop = new AbortController();
  const trainer = new Trainer({ config, signal: stop.signal });
  const state = { training: 'starting', step: 0, runDir: null, model: null, loading: Promise.resolve() };

  // A new best: load it, swap it in, free the old one once its queued requests are done.
  const serveBest = (name) => {
    state.loading = state.loading.then(async () => {
      if (state.model && path.basename(state.model.info.checkpoint) === name) return;
      const next = await loadModel(path.join(state.runDir, 'checkpoints', name), { device: 'cpu' });
      const previous = state.model;
      state.model = next;
      console.log(`serving ${name} (step ${next.info.step})`);
      if (previous) await previous.dispose();
    }).catch((err) => console.error(`could not load ${name}: ${err.message}`));
  };
  trainer.on('start', (e) => {
    state.runDir = e.runDir;
    state.training = 'running';
  });
  trainer.on('checkpoint', (e) => {
    state.step = e.step;
    if (e.best) serveBest(e.best);
  });
  trainer.on('warning', (m) => console.error(`warning: ${m}`));

  const server = http.createServer((req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method === 'GET' && req.url === '/health') {
      const m = state.model;
      reply(200, { training: state.training, step: state.step, model: m ? { checkpoint: path.basename(m.info.checkpoint), step: m.info.step } : null });
      return;
    }
    if (req.method !== 'POST' || req.url !== '/predict') {
      reply(404, { error: 'GET /health or POST /predict' });
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const model = state.model;
      if (!model) return reply(503, { error: 'no checkpoint to serve yet' });
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { error: 'the body must be JSON' });
      }
      const key = Array.isArray(body.features) ? 'features' : Array.isArray(body.tokens) ? 'tokens' : null;
      const rows = key ? body[key] : null;
      if (!rows || rows.length === 0 || !rows.every((r) => Array.isArray(r) && r.length === rows[0].length)) {
        return reply(400, { error: 'give {"features": [[...], ...]} or {"tokens": [[...], ...]}: a non-empty list of equal-length rows' });
      }
      const flat = rows.flat();
      const input = key === 'features' ? { features: Float32Array.from(flat), shape: [rows.length, rows[0].length] } : { tokens: Int32Array.from(flat), shape: [rows.length, rows[0].length] };
      try {
        const preds = await model.predict(input);
        reply(200, {
          checkpoint: path.basename(model.info.checkpoint),
          step: model.info.step,
          predictions: preds.map((p) => ('classId' in p ? { label: p.label, class_id: p.classId, probabilities: Array.from(p.probabilities) } : { values: Array.from(p.values) })),
        });
      } catch (err) {
        reply(err.name === 'InputError' ? 400 : 500, { error: err.message });
      }
    });
  });
  await new Promise((resolve) => server.listen(args.port, '127.0.0.1', resolve));
  console.log(`listening on http://127.0.0.1:${server.address().port}`);

  // Ctrl-C: training stops after its current step (with a checkpoint), then the server closes.
  process.once('SIGINT', () => {
    console.log('stopping');
    stop.abort();
    server.close();
    server.closeAllConnections();
  });
  const result = await trainer.run();
  state.training = result.status;
  if (!stop.signal.aborted) console.log(`training ${result.status} at step ${result.step}; still serving (Ctrl-C to stop)`);
  else if (state.model) await state.model.dispose();
}

main().catch((err) => {
  console.error(err.message);
  process.exitCode = 1;
});

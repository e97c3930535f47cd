/**
 * examples/serve.js as a user runs it: `node examples/serve.js CONFIG --port 0`, driven with real
 * HTTP requests while it trains — it serves the current best checkpoint and moves to newer ones
 * as they land, rejects bad bodies with 400, and stops cleanly on Ctrl-C.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { nativeAvailable } from './helpers';
import { ROOT, tmpDir, waitFor, writeConfig } from './train-helpers';

interface Health {
  training: string;
  step: number;
  model: { checkpoint: string; step: number } | null;
}

async function request(port: number, method: string, url: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${url}`, { method, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

(nativeAvailable ? describe : describe.skip)('examples/serve.js', () => {
  it('answers POST /predict from the current best checkpoint while training, reloading as new bests land', async () => {
    const dir = tmpDir('tn-serve-');
    const config = writeConfig(dir, {
      EXPERIMENT: { NAME: 'serve', OUTPUT_DIR: path.join(dir, 'runs'), SEED: 1 },
      DATA: { SOURCE: 'synthetic:classification', TRAIN_SAMPLES: 2048, VAL_FRACTION: 0.25, BATCH_SIZE: 32 },
      MODEL: { TYPE: 'mlp', INPUT_DIM: 32, NUM_CLASSES: 4, HIDDEN_SIZES: [128, 128] },
      TRAIN: { EPOCHS: 400, THREADS: 1 },
      SCHEDULE: { CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 2 } },
      LOGGING: { TENSORBOARD: false },
    });
    const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'serve.js'), config, '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.test(out), 30_000, 'the server to listen');
      const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      const health = async (): Promise<Health> => (await request(port, 'GET', '/health')).json as unknown as Health;

      const features = Array.from({ length: 3 }, (_, r) => Array.from({ length: 32 }, (_, j) => Math.sin(r * 32 + j)));
      const seen = new Set<string>();
      let duringTraining = 0;
      const deadline = Date.now() + 60_000;
      while (seen.size < 3 && Date.now() < deadline) {
        const h = await health();
        if (h.model === null) {
          // Before the first best checkpoint there is nothing to serve.
          const early = await request(port, 'POST', '/predict', JSON.stringify({ features }));
          if (early.status === 503) continue;
        }
        const r = await request(port, 'POST', '/predict', JSON.stringify({ features }));
        expect(r.status).toBe(200);
        const preds = r.json.predictions as Array<{ label: string; class_id: number; probabilities: number[] }>;
        expect(preds).toHaveLength(3);
        for (const p of preds) {
          expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
          expect(p.label).toBe(String(p.class_id));
        }
        seen.add(r.json.checkpoint as string);
        if ((await health()).training === 'running') duringTraining++;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      expect(seen.size).toBeGreaterThanOrEqual(3);
      expect(duringTraining).toBeGreaterThan(0);
      expect(out).toMatch(/serving step-\d+ \(step \d+\)/);

      const bad = await request(port, 'POST', '/predict', 'not json');
      expect(bad.status).toBe(400);
      const wrongWidth = await request(port, 'POST', '/predict', JSON.stringify({ features: [[1, 2, 3]] }));
      expect(wrongWidth.status).toBe(400);
      expect(wrongWidth.json.error).toMatch(/3 features per row; the model takes 32/);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(err).not.toMatch(/could not load|rror/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});

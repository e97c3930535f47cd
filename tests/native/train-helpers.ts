/**
 * Helpers for the training tests: throw-away run folders, small configs written as YAML, the CLI
 * run as a user runs it, and readers for what a run leaves on disk.
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as yaml from 'js-yaml';
import { readSafetensorsFile } from '../../lib/checkpoint/safetensors';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

export function tmpDir(prefix = 'tn-train-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small, fast classification run (synthetic data, MLP) with `overrides` deep-merged in. */
export function smallConfig(outputDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    EXPERIMENT: { NAME: 'run', OUTPUT_DIR: outputDir, SEED: 7 },
    DATA: { SOURCE: 'synthetic:classification', TRAIN_SAMPLES: 512, VAL_FRACTION: 0.25, BATCH_SIZE: 32 },
    MODEL: { TYPE: 'mlp', INPUT_DIM: 16, NUM_CLASSES: 4, HIDDEN_SIZES: [32], DROPOUT: 0.1 },
    LR_SCHEDULER: { NAME: 'cosine', BASE_LR: 0.003, WARMUP_STEPS: 4 },
    TRAIN: { EPOCHS: 2, DEVICE: 'cpu', THREADS: 1 },
    SCHEDULE: {
      VALIDATION: { INTERVAL_EPOCHS: 1 },
      CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 10 },
      METRICS: { STEP_INTERVAL: 4, CONSOLE_INTERVAL: 8, LR_INTERVAL: 4 },
    },
    LOGGING: { PROGRESS: 'plain', HISTOGRAM_INTERVAL_EPOCHS: 1 },
  };
  return merge(base, overrides);
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export function writeConfig(dir: string, config: Record<string, unknown>, name = 'config.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml.dump(config));
  return file;
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function trainCli(args: string[], cwd = ROOT): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, TRAIN_NATIVE_DEBUG: '' } });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Starts the CLI in the background (for kill -9 / Ctrl-C tests). */
export function spawnCli(args: string[], cwd = ROOT) {
  return spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, TRAIN_NATIVE_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function checkpointNames(runDir: string): string[] {
  const dir = join(runDir, 'checkpoints');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^step-\d{8}$/.test(n) && existsSync(join(dir, n, 'manifest.json')))
    .sort();
}

export function readJsonLines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function trainerState(runDir: string, name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(runDir, 'checkpoints', name, 'trainer_state.json'), 'utf8')) as Record<string, unknown>;
}

/** Tensor name → bytes of a checkpoint's safetensors file. */
export function tensors(runDir: string, name: string, file: 'model' | 'optimizer' = 'model'): Map<string, Buffer> {
  const f = readSafetensorsFile(join(runDir, 'checkpoints', name, `${file}.safetensors`));
  return new Map(f.tensors.map((t) => [t.name, Buffer.from(t.data)]));
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!predicate()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

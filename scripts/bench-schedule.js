#!/usr/bin/env node
/**
 * Schedule engine benchmark: the per-step query the training loop makes (every group's LR, the
 * events due, the three probabilities) over a 1,000,000-step schedule, and a dry run's
 * buildScheduleJson + JSON.stringify for 100,000 steps, each next to its target.
 *
 *   npm run build && node scripts/bench-schedule.js
 */
'use strict';
const path = require('path');
const { performance } = require('perf_hooks');
const { buildSchedule, buildScheduleJson } = require(path.join(__dirname, '..', 'dist', 'schedule'));

/** A config with everything switched on: 3 parameter groups, two stages, events, probabilities. */
function config(stepsPerEpoch, epochs) {
  const group = (name, extra) => ({ NAME: name, PATTERNS: [`${name}.*`], LR_MULTIPLIER: 1, LR_SCHEDULER: {}, ...extra });
  const keys = {
    NAME: 'cosine', BASE_LR: 1e-3, MIN_LR: 1e-5, WARMUP_FRACTION: 0.05, POWER: 1, DECAY_RATE: 0.1, GAMMA: 0.1, T_MULT: 2,
    RESTART_DECAY: 1, PCT_START: 0.3, DIV_FACTOR: 25, FINAL_DIV_FACTOR: 1e4, ANNEAL_STRATEGY: 'cos', THREE_PHASE: false,
    STABLE_DURATION_FRACTION: 0.8, DECAY_DURATION_FRACTION: 0.1, DECAY_TYPE: 'cosine', METRIC: 'val_loss', MODE: 'auto',
    FACTOR: 0.1, PATIENCE: 10, THRESHOLD: 1e-4, THRESHOLD_MODE: 'rel', COOLDOWN: 0,
  };
  return {
    EXPERIMENT: { NAME: 'bench', OUTPUT_DIR: 'runs', SEED: 42 },
    DATA: { SOURCE: 'synthetic:classification', BATCH_SIZE: 1, DROP_LAST: true, TRAIN_SAMPLES: stepsPerEpoch, META_COMPONENTS: [] },
    MODEL: { TYPE: 'mlp', TASK: 'classification', HIDDEN_SIZES: [128], D_MODEL: 128, NUM_HEADS: 4, NUM_LAYERS: 2, DROPOUT: 0, TOKEN_LIMIT: 1024 },
    OPTIMIZER: { NAME: 'adamw', WEIGHT_DECAY: 0.01, BETAS: [0.9, 0.999], EPS: 1e-8, MOMENTUM: 0.9, NESTEROV: false },
    LR_SCHEDULER: {
      ...keys,
      SCALING: 'linear',
      PARAMETER_GROUPS: [group('encoder', { LR_MULTIPLIER: 0.1 }), group('head', { LR_SCHEDULER: { NAME: 'wsd' } })],
    },
    TRAIN: {
      EPOCHS: epochs, ACCUMULATION_STEPS: 1, GRAD_CLIP: 1, DEVICE: 'cpu', PRECISION: 'fp32', THREADS: 0, AUTO_RESUME: false,
      EARLY_STOP: { ACTIVE: false, METRIC: 'val_loss', MODE: 'auto', MIN_DELTA: 0 }, ON_NONFINITE: 'stop',
    },
    STAGES: {
      SKIP_STAGE1: false,
      STAGE1: { ENABLED: true, EPOCHS: 2, OBJECTIVE: 'masked_tokens', MASK_PROB: 0.15 },
      STAGE2: { FREEZE_BASE: false, PROGRESSIVE_UNFREEZE: false, LR_SCHEDULER: { NAME: 'cosine_restart', RESTART_FRACTION: 0.1 } },
    },
    SCHEDULE: {
      VALIDATION: {
        INTERVAL_STEPS: 3000,
        MASK_META_INTERVAL_EPOCHS: 2,
        PARTIAL_MASK_META: { ENABLED: true, WHITELIST: [['A'], ['A', 'B']] },
        FINAL_EPOCH: { EXHAUSTIVE_PARTIAL_META_VALIDATION: true, EXHAUSTIVE_META_COMPONENTS: ['A', 'B', 'C'] },
      },
      CHECKPOINT: {
        GENERATE: { FIRST_EPOCH_CHECKPOINTS: 20, SUBSEQUENT_EPOCHS_SPACING: 'log', LOG_BASE: 2, MIN_CHECKPOINT_INTERVAL: 100 },
        KEEP_TOP_N: 0, KEEP_LAST_N: 2,
      },
      META_MASKING: {
        ENABLED: true, START_PROB: 1, END_PROB: 0.05, END_FRACTION: 0.3,
        PARTIAL: { ENABLED: true, START_FRACTION: 0.1, END_FRACTION: 0.9, START_PROB: 0.01, END_PROB: 0.7, PROB_END_FRACTION: 0.5, WHITELIST: [['A']] },
      },
      MIXUP: {
        GROUP_LEVELS: ['L10'], LEVEL_SWITCH_STEPS: [], LEVEL_SWITCH_EPOCHS: [],
        PROB: { ENABLED: true, START_PROB: 1, END_PROB: 0.2, END_FRACTION: 0.4 }, ALPHA: 1, MIN_GROUP_SIZE: 4, EXCLUDE_NULL_SAMPLES: true,
      },
      METRICS: { STEP_INTERVAL: 50, CONSOLE_INTERVAL: 100, LR_INTERVAL: 100 },
    },
    LOGGING: { TENSORBOARD: false, HISTOGRAM_INTERVAL_EPOCHS: 10, PROGRESS: 'none' },
    DIST: { BACKEND: 'gloo', WORLD_SIZE: 1, RANK: 0, LOCAL_RANK: 0, MASTER_ADDR: '127.0.0.1', MASTER_PORT: 29500 },
  };
}

function time(fn) {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

/** What the training loop asks once per step; returns a checksum so nothing is optimised away. */
function queryAll(s, out) {
  let sum = 0;
  let events = 0;
  const T = s.totalSteps;
  for (let k = 0; k < T; k++) {
    s.lrInto(k, out, null);
    sum += out[0] + out[1] + out[2];
    events += s.eventsAt(k + 1);
    sum += s.metaMaskProb(k) + s.partialMetaMaskProb(k) + s.mixupProb(k);
  }
  return sum + events;
}

const rows = [];
const big = time(() => buildSchedule(config(10000, 100)));
const s = big.value;
rows.push(['build a 1,000,000-step schedule (3 groups, 2 stages)', `${(big.ms / 1000).toFixed(3)} s`, '-']);
const out = new Float64Array(s.groups.length);
queryAll(s, out); // warm up the JIT
const runs = 5;
let best = Infinity;
for (let r = 0; r < runs; r++) best = Math.min(best, time(() => queryAll(s, out)).ms);
rows.push([`per-step query (lr x${s.groups.length}, events, 3 probabilities), best of ${runs}`, `${((best * 1000) / s.totalSteps).toFixed(4)} µs`, '2 µs']);

const cfg = config(1000, 100);
buildScheduleJson(config(100, 10)); // warm up
const json = time(() => JSON.stringify(buildScheduleJson(cfg)));
rows.push(['buildScheduleJson + JSON.stringify, 100,000 steps', `${(json.ms / 1000).toFixed(3)} s (${(json.value.length / 1e6).toFixed(1)} MB)`, '2 s']);

const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length)), 6];
const line = (r) => `| ${r[0].padEnd(w[0])} | ${r[1].padStart(w[1])} | ${r[2].padStart(w[2])} |`;
console.log(`node ${process.version}, ${require('os').cpus()[0].model}`);
console.log(line(['measure', 'measured', 'target']));
console.log(`|${'-'.repeat(w[0] + 2)}|${'-'.repeat(w[1] + 2)}|${'-'.repeat(w[2] + 2)}|`);
rows.forEach((r) => console.log(line(r)));

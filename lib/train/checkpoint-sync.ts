/**
 * Copying the run directory off the machine after each checkpoint (seed 000's remote sync;
 * SCHEDULE.CHECKPOINT.SYNC). The command runs in the background, never blocking a step; at most
 * one runs at a time, and a newer checkpoint replaces a request still waiting to start (the newer
 * copy includes the older). A failed attempt is retried after RETRY_DELAY_S, doubling each time;
 * after RETRIES retries it is a warning and training goes on. `finish()` waits for the last one,
 * so the run's summary can say whether the remote copy is current.
 */
import { spawn } from 'child_process';
import { basename } from 'path';
import type { TrainNativeConfig } from '../config/types';
import { splitCommandLine, substitutePlaceholders, type SyncPlaceholder } from '../config/sync-command';

export interface SyncSettings {
  runDir: string;
  command: string;
  retries: number;
  retryDelayS: number;
}

export interface SyncRequest {
  checkpointDir: string;
  step: number;
}

/** One attempt, as the library's `sync` event reports it. */
export interface SyncEvent {
  step: number;
  /** the command as run, arguments joined with spaces */
  command: string;
  ok: boolean;
  seconds: number;
  /** 1 = the first try */
  attempt: number;
  /** why the attempt failed (exit status and the end of its stderr) */
  error?: string;
}

/** Where the remote copy stands at the end of a run. */
export interface SyncStatus {
  /** the step of the newest checkpoint copied successfully, or null */
  syncedStep: number | null;
  /** the newest checkpoint of the run was copied (nothing newer is missing remotely) */
  current: boolean;
  /** checkpoints whose copy failed after every retry */
  failures: number;
}

export interface SyncHooks {
  onAttempt(e: SyncEvent): void;
  onFailure(e: SyncEvent, attempts: number): void;
}

interface Outcome {
  ok: boolean;
  error?: string;
}

const STDERR_TAIL = 400;

function runOnce(argv: readonly string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    let stderr = '';
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      resolve({ ok: false, error: (e as Error).message });
      return;
    }
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
    });
    child.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, error: e.code === 'ENOENT' ? `${argv[0]}: command not found` : e.message }));
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ ok: true });
      else resolve({ ok: false, error: `${signal ? `killed by ${signal}` : `exit status ${code}`}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}` });
    });
  });
}

export class CheckpointSync {
  private readonly words: string[];
  private running: Promise<void> | null = null;
  private waiting: SyncRequest | null = null;
  private newestRequested: number | null = null;
  private syncedStep: number | null = null;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly settings: SyncSettings,
    private readonly hooks: SyncHooks,
  ) {
    this.words = splitCommandLine(settings.command); // checked when the config was loaded
  }

  /** The sync SCHEDULE.CHECKPOINT.SYNC asks for, or null when it is off. */
  static fromConfig(config: TrainNativeConfig, runDir: string, hooks: SyncHooks): CheckpointSync | null {
    const s = config.SCHEDULE.CHECKPOINT.SYNC;
    const enabled = s.ENABLED ?? s.COMMAND !== undefined;
    if (!enabled || s.COMMAND === undefined) return null;
    return new CheckpointSync({ runDir, command: s.COMMAND, retries: s.RETRIES, retryDelayS: s.RETRY_DELAY_S }, hooks);
  }

  /** Queue a copy after checkpoint `req` (committed, retention applied). Returns at once. */
  request(req: SyncRequest): void {
    if (this.closed) return;
    this.newestRequested = req.step;
    this.waiting = req;
    if (this.running === null) this.running = this.drain();
  }

  private async drain(): Promise<void> {
    while (this.waiting !== null) {
      const req = this.waiting;
      this.waiting = null;
      await this.copy(req);
    }
    this.running = null;
  }

  private async copy(req: SyncRequest): Promise<void> {
    const values: Record<SyncPlaceholder, string> = {
      run_dir: this.settings.runDir,
      run_name: basename(this.settings.runDir),
      checkpoint_dir: req.checkpointDir,
      checkpoint: basename(req.checkpointDir),
      step: String(req.step),
    };
    const argv = substitutePlaceholders(this.words, values);
    const attempts = this.settings.retries + 1;
    let delay = this.settings.retryDelayS;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const t0 = process.hrtime.bigint();
      const r = await runOnce(argv);
      const e: SyncEvent = { step: req.step, command: argv.join(' '), ok: r.ok, seconds: Number(process.hrtime.bigint() - t0) / 1e9, attempt };
      if (r.error !== undefined) e.error = r.error;
      this.hooks.onAttempt(e);
      if (r.ok) {
        this.syncedStep = req.step;
        return;
      }
      if (attempt === attempts) {
        this.failures++;
        this.hooks.onFailure(e, attempts);
        return;
      }
      // A newer checkpoint arrived meanwhile: copy that instead of retrying this one.
      if (this.waiting !== null) return;
      await new Promise((resolve) => setTimeout(resolve, delay * 1000));
      delay *= 2;
    }
  }

  /** Waits for the copy in progress and any waiting one; no new requests are taken. */
  async finish(): Promise<SyncStatus> {
    this.closed = true;
    while (this.running !== null) await this.running;
    return { syncedStep: this.syncedStep, current: this.newestRequested === null || this.syncedStep === this.newestRequested, failures: this.failures };
  }
}

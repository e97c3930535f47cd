/**
 * Console output during training: a progress bar on a terminal (cli-progress), plain one-line
 * progress reports otherwise (logs, CI: never a carriage return), or nothing but message lines.
 * Also the epoch summary line in the seed's style (seed 002):
 *   Epoch 87: Loss: 0.2341 | IoU: 0.6350 | Dice: 0.7456 | LR: 0.000180
 */
import { SingleBar } from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'plain' | 'none';

export interface ConsoleStream {
  write(s: string): boolean | void;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressUpdate {
  /** Optimizer steps done in this epoch (1-based after the first step). */
  epochStep: number;
  globalStep: number;
  /** null when the loss was not read back from the device this step: the last value stays shown. */
  loss: number | null;
  lr: number;
  /** plain mode prints a line only when true (every SCHEDULE.METRICS.CONSOLE_INTERVAL steps). */
  print: boolean;
}

export interface ConsoleReporter {
  readonly mode: 'bar' | 'plain' | 'none';
  startEpoch(epoch: number, epochs: number, stepsInEpoch: number, label?: string): void;
  update(u: ProgressUpdate): void;
  /** bar: stops this epoch's bar, leaving it on screen. */
  endEpoch(): void;
  /** A message line (epoch summary, checkpoint saved, warning) that does not garble the bar. */
  line(text: string): void;
  stop(): void;
}

/** `x.yye±NN`: exponential with a two-digit exponent, as Python's %e prints it. */
function expTwoDigit(value: number, digits: number): string {
  const [mantissa, exp] = value.toExponential(digits).split('e');
  const sign = exp.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exp.replace(/^[-+]/, '').padStart(2, '0')}`;
}

/**
 * The LR as the seed prints it: fixed with 6 decimals when >= 1e-4 (0.000180), else exponential
 * with 2 decimals and a two-digit exponent (1.00e-05), where 6 decimals would lose the digits.
 * 0 prints as 0.000000; NaN/Infinity as JS spells them.
 */
export function formatLr(lr: number): string {
  if (!Number.isFinite(lr)) return String(lr);
  if (lr === 0 || Math.abs(lr) >= 1e-4) return lr.toFixed(6);
  return expTwoDigit(lr, 2);
}

/** `Epoch 87: Loss: 0.2341 | val_accuracy: 0.9120 | LR: 0.000180` (4 decimals for loss and metrics). */
export function formatEpochLine(epoch: number, loss: number, metrics: Array<[string, number]>, lr: number): string {
  const parts = [`Epoch ${epoch}: Loss: ${loss.toFixed(4)}`];
  for (const [name, value] of metrics) parts.push(`${name}: ${value.toFixed(4)}`);
  parts.push(`LR: ${formatLr(lr)}`);
  return parts.join(' | ');
}

function formatLoss(loss: number | null): string {
  return loss === null ? '-' : loss.toFixed(4);
}

interface EpochState {
  epoch: number;
  epochs: number;
  steps: number;
  label: string;
  loss: number | null;
}

/** Plain and none modes: lines only, no cursor movement. */
class LineReporter implements ConsoleReporter {
  private state: EpochState | null = null;

  constructor(
    readonly mode: 'plain' | 'none',
    private readonly stream: ConsoleStream,
  ) {}

  startEpoch(epoch: number, epochs: number, stepsInEpoch: number, label?: string): void {
    this.state = { epoch, epochs, steps: stepsInEpoch, label: label ? `[${label}] ` : '', loss: null };
  }

  update(u: ProgressUpdate): void {
    const s = this.state;
    if (s === null) return;
    if (u.loss !== null) s.loss = u.loss;
    if (this.mode !== 'plain' || !u.print) return;
    this.stream.write(
      `${s.label}epoch ${s.epoch}/${s.epochs} step ${u.epochStep}/${s.steps} loss ${formatLoss(s.loss)} lr ${expTwoDigit(u.lr, 1)}\n`,
    );
  }

  endEpoch(): void {
    this.state = null;
  }

  line(text: string): void {
    this.stream.write(`${text}\n`);
  }

  stop(): void {
    this.state = null;
  }
}

/**
 * cli-progress writes "save cursor" at start and "restore cursor" at stop; after message lines
 * have scrolled the screen, the restore would jump back over them and the next output would
 * overwrite the bar. This adapter drops those two sequences and passes everything else through.
 */
function barStreamAdapter(stream: ConsoleStream): NodeJS.WritableStream {
  const adapter = {
    write(s: string): boolean {
      if (s === '\x1B7' || s === '\x1B8') return true;
      return stream.write(s) !== false;
    },
    get isTTY(): boolean | undefined {
      return stream.isTTY;
    },
    get columns(): number | undefined {
      return stream.columns;
    },
  };
  // cli-progress and readline only call write() and read isTTY / columns.
  return adapter as unknown as NodeJS.WritableStream;
}

const BAR_FORMAT = '{label}Epoch {epoch}/{epochs} |{bar}| step {value}/{total} | loss {loss} | lr {lr}';

class BarReporter implements ConsoleReporter {
  readonly mode = 'bar' as const;
  private bar: SingleBar | null = null;
  private loss: number | null = null;

  constructor(private readonly stream: ConsoleStream) {}

  startEpoch(epoch: number, epochs: number, stepsInEpoch: number, label?: string): void {
    this.endEpoch();
    this.loss = null;
    this.bar = new SingleBar({
      stream: barStreamAdapter(this.stream),
      format: BAR_FORMAT,
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      barsize: 30,
      fps: 5,
      // Redraw after line() even though the bar text did not change.
      forceRedraw: true,
      // A forced `bar` on a non-terminal prints a line every few seconds instead of nothing.
      noTTYOutput: this.stream.isTTY !== true,
      // Signals belong to the training loop (it checkpoints on SIGINT); cli-progress must not listen.
      gracefulExit: false,
      hideCursor: false,
    });
    this.bar.start(stepsInEpoch, 0, { label: label ? `[${label}] ` : '', epoch, epochs, loss: '-', lr: '-' });
  }

  update(u: ProgressUpdate): void {
    if (this.bar === null) return;
    if (u.loss !== null) this.loss = u.loss;
    // cli-progress throttles the redraw itself (synchronousUpdate at most every 2 frames).
    this.bar.update(u.epochStep, { loss: formatLoss(this.loss), lr: u.lr.toExponential(2) });
  }

  endEpoch(): void {
    if (this.bar === null) return;
    this.bar.stop();
    this.bar = null;
  }

  line(text: string): void {
    if (this.bar === null || this.stream.isTTY !== true) {
      this.stream.write(`${text}\n`);
      return;
    }
    // Clear the bar's line, print the message, draw the bar again below it.
    this.stream.write(`\r\x1B[2K${text}\n`);
    this.bar.render();
  }

  stop(): void {
    this.endEpoch();
  }
}

/** 'auto' = a bar when the stream is a terminal, plain lines otherwise; 'none' prints only line()s. */
export function createConsoleReporter(mode: ProgressMode, stream: ConsoleStream): ConsoleReporter {
  const resolved = mode === 'auto' ? (stream.isTTY === true ? 'bar' : 'plain') : mode;
  return resolved === 'bar' ? new BarReporter(stream) : new LineReporter(resolved, stream);
}

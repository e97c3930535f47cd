// Console reporter: exact plain-mode lines, 'none' mode, the bar on a fake terminal, and the
// epoch line / LR formats of seed 002.
import { createConsoleReporter, formatEpochLine, formatLr } from '../../lib/logging/console';

function capture(isTTY = false): { stream: { write(s: string): boolean; isTTY: boolean; columns: number }; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: {
      write: (s: string) => {
        chunks.push(s);
        return true;
      },
      isTTY,
      columns: 120,
    },
    text: () => chunks.join(''),
  };
}

describe('formatLr', () => {
  it.each([
    [0.00018, '0.000180'],
    [0.001, '0.001000'],
    [1e-4, '0.000100'],
    [0.5, '0.500000'],
    [1e-5, '1.00e-05'],
    [9.99e-5, '9.99e-05'],
    [3.14159e-7, '3.14e-07'],
    [1e-120, '1.00e-120'],
    [0, '0.000000'],
    [NaN, 'NaN'],
  ])('%p → %s', (lr, text) => expect(formatLr(lr)).toBe(text));
});

describe('formatEpochLine', () => {
  it('matches the seed format', () => {
    expect(formatEpochLine(87, 0.23414, [['IoU', 0.635], ['Dice', 0.74561]], 0.00018)).toBe(
      'Epoch 87: Loss: 0.2341 | IoU: 0.6350 | Dice: 0.7456 | LR: 0.000180',
    );
    expect(formatEpochLine(3, 1.5, [['val_accuracy', 0.912]], 1e-5)).toBe('Epoch 3: Loss: 1.5000 | val_accuracy: 0.9120 | LR: 1.00e-05');
    expect(formatEpochLine(1, NaN, [], 0.001)).toBe('Epoch 1: Loss: NaN | LR: 0.001000');
  });
});

describe('plain mode', () => {
  it('prints exact lines on print steps only, keeping the last loss when null', () => {
    const { stream, text } = capture(false);
    const r = createConsoleReporter('auto', stream);
    expect(r.mode).toBe('plain');
    r.startEpoch(3, 8, 512);
    r.update({ epochStep: 149, globalStep: 1173, loss: 0.9, lr: 8.1e-4, print: false });
    r.update({ epochStep: 150, globalStep: 1174, loss: 0.43214, lr: 8.1e-4, print: true });
    r.update({ epochStep: 300, globalStep: 1324, loss: null, lr: 7.31e-4, print: true });
    r.line('Epoch 3: Loss: 0.4000 | LR: 0.000725');
    r.endEpoch();
    r.startEpoch(1, 2, 10, 'stage 2');
    r.update({ epochStep: 1, globalStep: 0, loss: null, lr: 1e-5, print: true });
    r.stop();
    expect(text()).toBe(
      [
        'epoch 3/8 step 150/512 loss 0.4321 lr 8.1e-04',
        'epoch 3/8 step 300/512 loss 0.4321 lr 7.3e-04',
        'Epoch 3: Loss: 0.4000 | LR: 0.000725',
        '[stage 2] epoch 1/2 step 1/10 loss - lr 1.0e-05',
        '',
      ].join('\n'),
    );
    expect(text()).not.toContain('\r');
  });
});

describe('none mode', () => {
  it('prints only line()s', () => {
    const { stream, text } = capture(true);
    const r = createConsoleReporter('none', stream);
    expect(r.mode).toBe('none');
    r.startEpoch(1, 1, 4);
    r.update({ epochStep: 1, globalStep: 1, loss: 1, lr: 1e-3, print: true });
    r.line('checkpoint saved');
    r.endEpoch();
    r.stop();
    expect(text()).toBe('checkpoint saved\n');
  });
});

describe('bar mode', () => {
  it('is chosen by auto on a terminal and draws epoch, bar, step, loss and lr', () => {
    const { stream, text } = capture(true);
    const r = createConsoleReporter('auto', stream);
    expect(r.mode).toBe('bar');
    r.startEpoch(2, 5, 10, 'stage 1');
    r.update({ epochStep: 5, globalStep: 15, loss: 0.12345, lr: 1e-3, print: false });
    r.line('validation: accuracy 0.9');
    r.endEpoch();
    r.stop();
    const out = text();
    // The last drawing (stop() renders once more) shows the current state.
    expect(out).toContain(`[stage 1] Epoch 2/5 |${'\u2588'.repeat(15)}${'\u2591'.repeat(15)}| step 5/10 | loss 0.1235 | lr 1.00e-3`);
    // The message clears the bar's line first and ends with a newline.
    expect(out).toContain('\r\x1B[2Kvalidation: accuracy 0.9\n');
    // No cursor save/restore (they would jump back over message lines).
    expect(out).not.toContain('\x1B7');
    expect(out).not.toContain('\x1B8');
    expect(out.endsWith('\n')).toBe(true);
  });

  it('starts a fresh bar per epoch and stop() is safe twice', () => {
    const { stream, text } = capture(true);
    const r = createConsoleReporter('bar', stream);
    r.startEpoch(1, 2, 4);
    r.update({ epochStep: 4, globalStep: 4, loss: 1, lr: 1e-3, print: false });
    r.startEpoch(2, 2, 4);
    r.update({ epochStep: 2, globalStep: 6, loss: null, lr: 1e-3, print: false });
    r.stop();
    r.stop();
    expect(text()).toContain('Epoch 1/2');
    // A new epoch has no loss yet until one is read back.
    expect(text()).toContain('Epoch 2/2 |');
    expect(text()).toContain('step 2/4 | loss - |');
  });
});

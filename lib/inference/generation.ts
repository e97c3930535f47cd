/**
 * Text generation for gpt models: the options checked, the prompt turned into token ids (the
 * UTF-8 bytes of a string for text data), and an async iterator over the tokens the session
 * samples. Tokens are fetched a chunk at a time, and the next chunk is requested before the
 * current one is handed out, so the session thread keeps decoding while the caller consumes.
 * Text comes out through a streaming UTF-8 decoder: a token that ends mid-character has text ''.
 */
import { randomInt } from 'crypto';
import type { NativeSession } from '../native/types';
import { InputError } from './inputs';
import type { ModelCard } from './model-card';

export interface GenerateOptions {
  /** tokens to generate (default 200) */
  maxNewTokens?: number;
  /** 0 = greedy; default 1 */
  temperature?: number;
  /** sample from the k most likely tokens only (0 = off, the default) */
  topK?: number;
  /** nucleus sampling: the smallest set of tokens whose probability reaches p (1 = off, the default) */
  topP?: number;
  /** the same seed gives the same tokens (default: a random seed) */
  seed?: number;
  /** stop after the token that completes one of these strings (text data; the string is included) */
  stop?: string | readonly string[];
}

export interface GeneratedToken {
  token: number;
  /** text data: the characters this token completes ('' inside a multi-byte character) */
  text?: string;
}

export const DEFAULT_MAX_NEW_TOKENS = 200;
/** Tokens per native call: large enough to amortise the thread hop, small enough to stream. */
const CHUNK = 8;

interface CheckedOptions {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  stop: string[];
}

function checkOptions(o: GenerateOptions, card: ModelCard): CheckedOptions {
  const int = (v: number | undefined, name: string, min: number, def: number): number => {
    const x = v ?? def;
    if (!Number.isSafeInteger(x) || x < min) throw new InputError(`${name} must be an integer >= ${min} (got ${String(v)})`);
    return x;
  };
  const temperature = o.temperature ?? 1;
  if (!(Number.isFinite(temperature) && temperature >= 0)) throw new InputError(`temperature must be a number >= 0 (got ${String(o.temperature)})`);
  const topP = o.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw new InputError(`topP must be in (0, 1] (got ${String(o.topP)})`);
  const stop = o.stop === undefined ? [] : typeof o.stop === 'string' ? [o.stop] : [...o.stop];
  if (stop.some((s) => typeof s !== 'string' || s.length === 0)) throw new InputError('stop strings must be non-empty strings');
  if (stop.length > 0 && !card.data.text) throw new InputError('stop strings need a model trained on text data (DATA.SOURCE text)');
  return {
    maxNewTokens: int(o.maxNewTokens, 'maxNewTokens', 1, DEFAULT_MAX_NEW_TOKENS),
    temperature,
    topK: int(o.topK, 'topK', 0, 0),
    topP,
    seed: int(o.seed, 'seed', 0, randomInt(0, 2 ** 47)),
    stop,
  };
}

/** Token ids of a prompt: a string is UTF-8 bytes (text data); otherwise ids. */
export function promptTokens(prompt: string | ArrayLike<number>, card: ModelCard): Int32Array {
  const vocab = card.model.vocabSize ?? 0;
  let ids: Int32Array;
  if (typeof prompt === 'string') {
    if (!card.data.text) throw new InputError(`the model was trained on ${card.data.source} data (token ids): give the prompt as token ids`);
    ids = Int32Array.from(Buffer.from(prompt, 'utf8'));
  } else {
    ids = Int32Array.from(prompt);
  }
  if (ids.length === 0) throw new InputError('the prompt is empty; give at least one character or token');
  for (let i = 0; i < ids.length; i++) {
    if (!(Number.isInteger(ids[i]) && ids[i] >= 0 && ids[i] < vocab)) throw new InputError(`prompt token ${i} is ${ids[i]}, outside the vocabulary [0, ${vocab})`);
  }
  return ids;
}

/** Positions generation attends to: the trained block (a block of N trains positions 0..N-2). */
export function contextLengthOf(card: ModelCard): number {
  const limit = card.model.tokenLimit ?? 1024;
  return Math.max(1, Math.min(limit, card.data.width - 1));
}

export async function* generateTokens(
  session: NativeSession,
  card: ModelCard,
  prompt: string | ArrayLike<number>,
  opts: GenerateOptions,
  lock: GenerationLock,
): AsyncGenerator<GeneratedToken, void, undefined> {
  // Taken when iteration starts (not when generate() is called), so an iterator that is never
  // run holds nothing; released when it ends, however it ends.
  lock.acquire();
  let pending: Promise<Int32Array> | null = null;
  try {
    const o = checkOptions(opts, card);
    const ids = promptTokens(prompt, card);
    await session.beginGeneration(ids, { temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed, contextLength: contextLengthOf(card) });
    const decoder = card.data.text ? new TextDecoder('utf-8') : null;
    const longestStop = o.stop.reduce((m, s) => Math.max(m, s.length), 0);
    let tail = '';
    let requested = 0;
    const request = (): Promise<Int32Array> | null => {
      const n = Math.min(CHUNK, o.maxNewTokens - requested);
      if (n <= 0) return null;
      requested += n;
      return session.generate(n);
    };
    pending = request();
    while (pending !== null) {
      const tokens = await pending;
      pending = request();
      for (const token of tokens) {
        const out: GeneratedToken = { token };
        if (decoder) out.text = decoder.decode(Uint8Array.of(token), { stream: true });
        yield out;
        if (longestStop > 0 && out.text) {
          tail = (tail + out.text).slice(-(longestStop + 8));
          // The prefetched chunk is discarded; a later generation starts afresh.
          if (o.stop.some((s) => tail.includes(s))) return;
        }
      }
    }
  } finally {
    pending?.catch(() => undefined);
    lock.release();
  }
}

/** One generation at a time per model: the session holds one generation state. */
export class GenerationLock {
  private busy = false;
  acquire(): void {
    if (this.busy) throw new InputError('this model is already generating; finish (or break out of) that loop first, or load a second model');
    this.busy = true;
  }
  release(): void {
    this.busy = false;
  }
}

/**
 * The SVG plot: a well-formed standalone document (checked by a small XML parser below, so a
 * broken tag or an unescaped name fails), one polyline per LR group, one marker per event (per
 * distinct x position), a legend, and a downsampler that never loses a curve's extremes.
 */
import { downsampleSteps, escapeXml, renderScheduleSvg } from '../../lib/render';
import type { ScheduleJson } from '../../lib/schedule/json-types';

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;

function decodeEntities(s: string, where: string): string {
  return s.replace(/&([^;]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new Error(`bare & in ${where}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (body in named) return named[body];
    if (/^#\d+$/.test(body)) return String.fromCodePoint(Number(body.slice(1)));
    if (/^#x[0-9a-fA-F]+$/.test(body)) return String.fromCodePoint(parseInt(body.slice(2), 16));
    throw new Error(`unknown entity &${body}; in ${where}`);
  });
}

/** A strict little XML parser: throws on anything not well-formed; returns the root element. */
function parseXml(src: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at offset ${i}: ${JSON.stringify(src.slice(i, i + 40))}`);
  };
  if (src.startsWith('<?xml')) {
    const end = src.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  while (i < src.length) {
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('</', i)) {
      i += 2;
      const m = NAME.exec(src.slice(i)) ?? fail('bad closing tag name');
      const name = (m as RegExpExecArray)[0];
      i += name.length;
      while (/\s/.test(src[i])) i++;
      if (src[i] !== '>') fail('expected > in closing tag');
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`closing </${name}> does not match <${open?.name}>`);
    } else if (src[i] === '<') {
      i++;
      const m = NAME.exec(src.slice(i)) ?? fail('bad tag name');
      const el: XmlElement = { name: (m as RegExpExecArray)[0], attrs: {}, children: [], text: '' };
      i += el.name.length;
      for (;;) {
        const ws = /^\s*/.exec(src.slice(i))![0].length;
        i += ws;
        if (src.startsWith('/>', i) || src[i] === '>') break;
        if (ws === 0) fail('attributes must be separated by white space');
        const a = NAME.exec(src.slice(i)) ?? fail('bad attribute name');
        const attr = (a as RegExpExecArray)[0];
        i += attr.length;
        if (src[i] !== '=') fail(`attribute ${attr} without =`);
        i++;
        const q = src[i];
        if (q !== '"' && q !== "'") fail(`attribute ${attr} value not quoted`);
        const end = src.indexOf(q, i + 1);
        if (end < 0) fail('unterminated attribute value');
        const raw = src.slice(i + 1, end);
        if (raw.includes('<')) fail(`< inside attribute ${attr}`);
        if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
        el.attrs[attr] = decodeEntities(raw, `attribute ${attr}`);
        i = end + 1;
      }
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else if (root) fail('more than one root element');
      else root = el;
      if (src.startsWith('/>', i)) i += 2;
      else {
        i++;
        stack.push(el);
      }
    } else {
      const end = src.indexOf('<', i);
      const text = src.slice(i, end < 0 ? src.length : end);
      if (stack.length === 0) {
        if (text.trim() !== '') fail('text outside the root element');
      } else {
        stack[stack.length - 1].text += decodeEntities(text, 'text');
      }
      if (text.includes('>') && text.includes(']]>')) fail(']]> in text');
      i = end < 0 ? src.length : end;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

function findAll(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) findAll(c, pred, out);
  return out;
}

function allText(el: XmlElement): string {
  return el.text + el.children.map(allText).join('');
}

function fixture(T: number, spe: number, groups: Record<string, (k: number) => number>): ScheduleJson {
  const lr: Record<string, number[]> = {};
  for (const [g, f] of Object.entries(groups)) lr[g] = Array.from({ length: T }, (_, k) => f(k));
  const ends = Array.from({ length: Math.ceil(T / spe) }, (_, e) => Math.min(T, (e + 1) * spe));
  return {
    total_steps: T,
    steps_per_epoch: spe,
    epochs: Math.ceil(T / spe),
    effective_batch_size: 32,
    lr,
    events: {
      validation: ends,
      mask_meta_validation: ends.filter((_, e) => (e + 1) % 2 === 0),
      partial_mask_meta_validation: [ends[ends.length - 1]],
      checkpoint: [0, ...ends],
    },
    probabilities: { meta_mask: new Array(T).fill(0), partial_meta_mask: new Array(T).fill(0), mixup: new Array(T).fill(0) },
    warnings: [],
  };
}

describe('the XML checker used by these tests', () => {
  it('rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow();
    expect(() => parseXml('<a>fish & chips</a>')).toThrow();
    expect(() => parseXml('<a x=1/>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
    expect(() => parseXml('<a>')).toThrow();
    expect(parseXml('<?xml version="1.0"?>\n<a k="&lt;&amp;"><b/>t&gt;</a>\n').attrs.k).toBe('<&');
  });
});

describe('renderScheduleSvg', () => {
  const json = fixture(1000, 100, {
    default: (k) => (k < 50 ? (1e-3 * k) / 50 : 1e-3 * 0.5 * (1 + Math.cos((Math.PI * (k - 50)) / 950))),
    head: (k) => (k < 500 ? 1e-4 : 1e-5),
  });
  const svg = renderScheduleSvg(json, { title: 'LR <run> & "friends"' });
  const root = parseXml(svg);

  it('is a standalone, well-formed SVG document', () => {
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(Number(root.attrs.width)).toBeGreaterThan(0);
    expect(root.attrs.viewBox).toMatch(/^0 0 \d+ \d+$/);
  });

  it('escapes the title and shows it', () => {
    expect(svg).toContain('LR &lt;run&gt; &amp; &quot;friends&quot;');
    expect(findAll(root, (e) => e.name === 'title')[0].text).toBe('LR <run> & "friends"');
  });

  it('draws one polyline per LR group, in the plot area', () => {
    const lines = findAll(root, (e) => e.name === 'polyline');
    expect(lines.map((l) => l.attrs['data-group'])).toEqual(['default', 'head']);
    for (const l of lines) {
      const pts = l.attrs.points.split(' ').map((p) => p.split(',').map(Number));
      expect(pts.length).toBeGreaterThan(10);
      for (const [x, y] of pts) {
        expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(Number(root.attrs.width));
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(Number(root.attrs.height));
      }
    }
    // The head group's drop at step 500 is a vertical edge half-way across: some two consecutive
    // points share (almost) one x and differ in y.
    const head = lines[1].attrs.points.split(' ').map((p) => p.split(',').map(Number));
    const xs = head.map((p) => p[0]);
    const mid = (Math.min(...xs) + Math.max(...xs)) / 2;
    const drop = head.findIndex((p, i) => i > 0 && p[1] !== head[i - 1][1]);
    expect(Math.abs(head[drop][0] - mid)).toBeLessThan(2);
  });

  it('marks every event in its own lane with a distinct shape, and counts them', () => {
    const lanes = findAll(root, (e) => e.name === 'g' && e.attrs.class === 'events');
    const byKind = Object.fromEntries(lanes.map((g) => [g.attrs['data-kind'], g.children]));
    expect(byKind.validation).toHaveLength(10);
    expect(byKind.mask_meta_validation).toHaveLength(5);
    expect(byKind.partial_mask_meta_validation).toHaveLength(1);
    expect(byKind.checkpoint).toHaveLength(11);
    const shapes = new Set(Object.values(byKind).map((c) => `${c[0].name}:${c[0].attrs.fill}`));
    expect(shapes.size).toBe(4);
    const text = allText(root);
    expect(text).toContain('validation (10)');
    expect(text).toContain('checkpoint (11)');
  });

  it('has epoch ticks 0…10, axis titles and a legend naming each group', () => {
    const xAxis = findAll(root, (e) => e.name === 'g' && e.attrs.class === 'x-axis')[0];
    const labels = xAxis.children.filter((c) => c.name === 'text').map((c) => c.text);
    expect(labels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'epoch']);
    expect(allText(root)).toContain('learning rate');
    const legend = findAll(root, (e) => e.name === 'g' && e.attrs.class === 'legend')[0];
    expect(allText(legend)).toContain('default');
    expect(allText(legend)).toContain('head');
    expect(findAll(root, (e) => e.attrs.class === 'epoch-grid')[0].children).toHaveLength(9);
  });

  it('stays well-formed with hostile group names and warnings', () => {
    const j = fixture(50, 10, { 'enc<oder>&"x\'': () => 1e-3 });
    j.warnings = ['a < b & c > "d"'];
    const r = parseXml(renderScheduleSvg(j));
    expect(findAll(r, (e) => e.name === 'polyline')[0].attrs['data-group']).toBe('enc<oder>&"x\'');
    expect(allText(r)).toContain('a < b & c > "d"');
  });

  it('keeps a 100,000-step curve to at most 2000 points', () => {
    const big = fixture(100_000, 1000, { default: (k) => 1e-3 * Math.pow(0.5, Math.floor(k / 7000)) });
    const r = parseXml(renderScheduleSvg(big));
    const pts = findAll(r, (e) => e.name === 'polyline')[0].attrs.points.split(' ');
    expect(pts.length).toBeLessThanOrEqual(2000);
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });
});

describe('downsampleSteps', () => {
  it('returns an exact staircase for short series when asked', () => {
    const s = downsampleSteps([1, 1, 2, 2, 3], 100, true);
    expect(s.x).toEqual([0, 2, 2, 4, 4, 5]);
    expect(s.y).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('returns every value when they fit', () => {
    const v = [3, 1, 4, 1, 5];
    expect(downsampleSteps(v, 100)).toEqual({ x: [0, 1, 2, 3, 4], y: v });
  });

  it('keeps each bucket\'s min and max, the first and the last value, within the point budget', () => {
    // Deterministic noise with isolated spikes that a naive stride would skip.
    const n = 100_003;
    const v = Array.from({ length: n }, (_, k) => Math.sin(k / 5000) + ((k * 7919) % 13) * 1e-4);
    v[12_345] = 9; // global max
    v[77_777] = -9; // global min
    v[50_001] = 5; // a local spike
    const max = 500;
    const s = downsampleSteps(v, max);
    expect(s.x.length).toBeLessThanOrEqual(max);
    expect(s.x.length).toBe(s.y.length);
    for (let j = 1; j < s.x.length; j++) expect(s.x[j]).toBeGreaterThanOrEqual(s.x[j - 1]);
    for (let j = 0; j < s.x.length; j++) expect(s.y[j]).toBe(v[s.x[j]]);
    const kept = new Set(s.x);
    for (const k of [0, n - 1, 12_345, 77_777, 50_001]) expect(kept.has(k)).toBe(true);
    // Every bucket's extremes survive.
    const buckets = Math.floor((max - 2) / 2);
    for (let b = 0; b < buckets; b++) {
      const from = Math.floor((b * n) / buckets);
      const to = Math.floor(((b + 1) * n) / buckets);
      let lo = from;
      let hi = from;
      for (let k = from; k < to; k++) {
        if (v[k] < v[lo]) lo = k;
        if (v[k] > v[hi]) hi = k;
      }
      expect(kept.has(lo) && kept.has(hi)).toBe(true);
    }
  });

  it('handles empty and one-value series', () => {
    expect(downsampleSteps([], 10)).toEqual({ x: [], y: [] });
    expect(downsampleSteps([7], 10, true)).toEqual({ x: [0, 1], y: [7, 7] });
  });
});

describe('renderScheduleSvg with stages', () => {
  it('draws a dashed boundary where each later stage starts', () => {
    const j = fixture(1200, 100, { default: (k) => (k < 400 ? 1e-3 : 5e-4) });
    j.stages = [
      { name: 'stage1', start_step: 0, end_step: 400 },
      { name: 'stage2', start_step: 400, end_step: 1200 },
    ];
    const r = parseXml(renderScheduleSvg(j));
    const g = findAll(r, (e) => e.attrs.class === 'stages')[0];
    const lines = g.children.filter((c) => c.name === 'line');
    expect(lines).toHaveLength(1);
    const xAxis = findAll(r, (e) => e.attrs.class === 'x-axis')[0].children.filter((c) => c.name === 'text');
    // the stage-2 line sits on the epoch-4 tick
    const tick4 = xAxis.find((t) => t.text === '4')!;
    expect(Number(lines[0].attrs.x1)).toBeCloseTo(Number(tick4.attrs.x), 1);
    expect(allText(g)).toContain('stage2 from step 400');
  });

  it('draws none for a single-stage run', () => {
    const r = parseXml(renderScheduleSvg(fixture(100, 10, { default: () => 1 })));
    expect(findAll(r, (e) => e.attrs.class === 'stages')).toHaveLength(0);
  });
});

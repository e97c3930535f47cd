/**
 * CMakeLists.txt and binding.gyp must build the same sources (binding.gyp is for node-gyp-based
 * toolchains); every listed file exists; the CMake file keeps the build rules the traps need.
 */
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');

function cmakeSources(): string[] {
  const text = fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
  const m = /set\(TN_SOURCES\s+([^)]*)\)/.exec(text);
  if (!m) throw new Error('TN_SOURCES not found in CMakeLists.txt');
  return m[1]
    .split(/\s+/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
}

function gypSources(): string[] {
  const gyp = JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8')) as {
    targets: Array<{ sources: string[]; 'cflags_cc!'?: string[] }>;
  };
  return gyp.targets[0].sources;
}

describe('native build files', () => {
  it('CMakeLists.txt and binding.gyp list the same sources', () => {
    expect([...gypSources()].sort()).toEqual([...cmakeSources()].sort());
  });

  it('every listed source exists and every native .cc file is listed', () => {
    const listed = new Set(cmakeSources());
    for (const s of listed) expect(fs.existsSync(path.join(root, s))).toBe(true);
    const walk = (d: string): string[] =>
      fs.readdirSync(path.join(root, d), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.cc') ? [path.join(d, e.name)] : [],
      );
    expect(walk('native').sort()).toEqual([...listed].sort());
  });

  it('binding.gyp removes -fno-rtti / -fno-exceptions and CMake defines what the addon needs', () => {
    const gyp = JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8')) as {
      targets: Array<Record<string, string[]>>;
    };
    expect(gyp.targets[0]['cflags_cc!']).toEqual(expect.arrayContaining(['-fno-rtti', '-fno-exceptions']));
    const cm = fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
    expect(cm).toMatch(/NAPI_VERSION=/);
    expect(cm).toMatch(/NODE_ADDON_API_CPP_EXCEPTIONS/);
    expect(cm).toMatch(/target_link_libraries\([^)]*\btorch\b/);
    expect(cm).toMatch(/BUILD_RPATH/);
    expect(cm).not.toMatch(/^[^#]*-fopenmp/m);
  });

  it('the core does not include napi.h and the binding does not include torch', () => {
    const read = (d: string) =>
      fs.readdirSync(path.join(root, 'native', d)).map((f) => fs.readFileSync(path.join(root, 'native', d, f), 'utf8'));
    for (const src of read('core')) expect(src).not.toMatch(/#include\s*[<"]napi\.h/);
    for (const src of read('binding')) expect(src).not.toMatch(/#include\s*[<"](torch|ATen|c10)\//);
  });
});

// Compiles lib/ -> dist/ once before any test file runs, so the end-to-end tests exercise what
// ships and no two test files race to rewrite dist/ in parallel workers.
const { spawnSync } = require('child_process');
const { join } = require('path');

module.exports = async function globalSetup() {
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: join(__dirname, '..'), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
};

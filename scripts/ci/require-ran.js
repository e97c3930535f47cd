#!/usr/bin/env node
// node scripts/ci/require-ran.js JEST.json SPEC...: fails unless every test a SPEC names ran and
// passed (jest's --json output). SPEC = a test file path, or FILE::DESCRIBE (the start of any
// enclosing describe's title). Tests that
// skip themselves when a tool is missing (a torch, a GPU) must not pass CI by skipping there.
'use strict';
const fs = require('fs');

const [file, ...specs] = process.argv.slice(2);
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
let bad = 0;
for (const spec of specs) {
  const [path, describe] = spec.split('::');
  const tests = report.testResults
    .filter((r) => r.name.endsWith(path))
    .flatMap((r) => r.assertionResults)
    .filter((a) => describe === undefined || a.ancestorTitles.some((t) => t.startsWith(describe)));
  const notPassed = tests.filter((a) => a.status !== 'passed');
  if (tests.length === 0 || notPassed.length > 0) {
    bad++;
    const what = tests.length === 0 ? 'no tests found' : notPassed.map((a) => `${a.fullName}: ${a.status}`).join('; ');
    console.error(`require-ran: ${spec}: ${what}`);
  } else {
    console.log(`require-ran: ${spec}: ${tests.length} passed`);
  }
}
process.exit(bad > 0 ? 1 : 0);

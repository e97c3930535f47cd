// Unit tests without the global `npm run build` (they import lib/ through ts-jest, not dist/):
// `npx jest -c jest.fast.config.js tests/unit/...` while iterating on one module.
const base = require('./jest.config');
module.exports = { ...base, globalSetup: undefined };

import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

// Debian's chromium, launched directly: playwright downloads no browser here.
const chromiumArgs = [
  '--headless',
  '--no-sandbox', // CI runs as root
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// EVLOOP_DIST=1 runs the suites against the TypeScript build in packages/evloop/dist while the
// package's exports still point at legacy/ (the move to TypeScript, in progress).
const dist = new URL('./packages/evloop/dist/', import.meta.url).pathname;
function distAliases(runtime: 'node' | 'browser') {
  if (process.env.EVLOOP_DIST !== '1') return [];
  return [
    { find: /^evloop$/, replacement: `${dist}node/index.js` },
    { find: /^evloop\/sim$/, replacement: runtime === 'node' ? `${dist}node/sim.js` : `${dist}sim/browser.js` },
    { find: /^evloop\/sim\/tools$/, replacement: runtime === 'node' ? `${dist}node/sim-tools.js` : `${dist}sim/tools/browser.js` },
  ];
}

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias: distAliases('node') },
        test: {
          name: 'node',
          include: ['tests/node/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
        },
      },
      {
        resolve: { alias: distAliases('browser') },
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            // failure screenshots would land in tests/; the error text is enough
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                args: chromiumArgs,
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});

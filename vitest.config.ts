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

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['tests/node/**/*.test.ts'],
          // The simulation's TLS certificates, made at test time (tests/shared/tls/).
          globalSetup: ['tests/shared/tls/sim-certs.setup.ts'],
          environment: 'node',
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          globalSetup: ['tests/shared/tls/sim-certs.setup.ts'],
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

import { RuleTester, type Rule } from 'eslint';
import { describe, it } from 'vitest';
import boundaries from './eslint-boundaries.mjs';

RuleTester.describe = describe;
RuleTester.it = it;

const rule = (name: string): Rule.RuleModule => {
  const found = boundaries.rules?.[name];
  if (found === undefined) throw new Error(`no rule ${name}`);
  return found;
};
const tester = new RuleTester();
const options = [
  {
    root: '/repo',
    units: {
      shared: 'shared',
      'sync-server': 'sync-server',
      console: 'sync-server/console',
      kiosk: 'kiosk',
      display: 'kiosk/display',
      electron: 'kiosk/electron',
    },
  },
];
const at = (filename: string, code: string): { filename: string; code: string; options: typeof options } => ({
  filename: `/repo/${filename}`,
  code,
  options,
});
const crosses = [{ messageId: 'crosses' }];

tester.run('no-cross-package-relative', rule('no-cross-package-relative'), {
  valid: [
    at('kiosk/src/agent/lane-agent.ts', "import { x } from '../store/lane-store.js';"),
    at('kiosk/display/src/officer/dialog.ts', "import { t } from '../ui-text.js';"),
    at('tests/e2e/lane.test.ts', "import { LaneAgent } from '@checkpoint-lane/kiosk';"),
    at('bench/lane-support.ts', "export { helper } from '../tests/integration/lane-helpers.js';"),
    at('sync-server/src/routes/kiosk/kiosk-routes.ts', "import { y } from '../../db/open-database.js';"),
  ],
  invalid: [
    {
      ...at('tests/e2e/lane.test.ts', "import { LaneAgent } from '../../kiosk/src/agent/lane-agent.js';"),
      errors: crosses,
    },
    {
      ...at('kiosk/display/src/officer.ts', "import { a } from '../../src/agent/lane-agent.js';"),
      errors: crosses,
    },
    { ...at('kiosk/src/agent/x.ts', "import { a } from '../../../shared/src/index.js';"), errors: crosses },
    {
      ...at('sync-server/console/src/codes.test.ts', "import { a } from '../../src/overrides/x.js';"),
      errors: crosses,
    },
    {
      ...at(
        'sync-server/console/src/codes.test.ts',
        "import { a } from '../../../kiosk/display/src/ui-text.js';",
      ),
      errors: crosses,
    },
    {
      ...at('kiosk/electron/policies.test.ts', "export * from '../src/display-api/display-server.js';"),
      errors: crosses,
    },
    {
      ...at('kiosk/src/profiles/p.test.ts', "const m = import('../../../scripts/generate.js');"),
      errors: crosses,
    },
  ],
});

const testCode = [{ messageId: 'testCode' }];

tester.run('no-test-code-in-build', rule('no-test-code-in-build'), {
  valid: [
    { code: "import { Scanner } from './scanner.js';" },
    { code: "import { decide } from '@checkpoint-lane/shared';" },
    { code: "import { a } from './testing-mode.js';" },
  ],
  invalid: [
    { code: "import { describe } from 'vitest';", errors: testCode },
    { code: "import fc from 'fast-check';", errors: testCode },
    { code: "import { RecordingSink } from './scanner-contract.testkit.js';", errors: testCode },
    { code: "import { buildTestApp } from '../testing/build-test-app.js';", errors: testCode },
  ],
});

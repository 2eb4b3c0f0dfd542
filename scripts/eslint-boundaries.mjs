// ESLint rules for the boundaries between this repository's programs (eslint.config.js turns
// them on):
// - `no-cross-package-relative`: a relative import never leaves its unit. A unit is a directory
//   compiled as one program (shared, the sync server, its console, the lane agent, the lane
//   display, the Electron shell); everything else (tests/, bench/, scripts/, configs) is the
//   root unit. Code in another unit is imported by package name ('@checkpoint-lane/shared'),
//   through its public entry: a path into its files couples to what it is free to move, and
//   lets a browser bundle or a test pull in code its own tsconfig never checked.
// - `no-test-code-in-build`: a file that ships (is built into dist/ or a bundle) imports no test
//   runner and no test kit (`*.testkit.ts`, `testing/`): tsc puts every file a built file
//   imports into dist/, whatever the tsconfig excludes.
import path from 'node:path';

/**
 * Import and export-from statements, and `import('…')` with a literal, as (statement,
 * specifier): a problem is reported at the statement's first line, where a disable comment goes.
 */
function importVisitor(check) {
  const visit = (node) => {
    const source = node.source;
    if (source?.type === 'Literal' && typeof source.value === 'string') check(node, source.value);
  };
  return {
    ImportDeclaration: visit,
    ExportAllDeclaration: visit,
    ExportNamedDeclaration: visit,
    ImportExpression: visit,
  };
}

/** The unit a path (relative to the root, with '/') belongs to: the longest matching directory. */
function unitOf(relativePath, units) {
  let best = { name: 'root', dir: '' };
  for (const [name, dir] of Object.entries(units)) {
    if ((relativePath === dir || relativePath.startsWith(`${dir}/`)) && dir.length > best.dir.length) {
      best = { name, dir };
    }
  }
  return best.name;
}

const noCrossPackageRelative = {
  meta: {
    type: 'problem',
    docs: { description: 'A relative import stays inside its unit (package or program).' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          units: { type: 'object', additionalProperties: { type: 'string' } },
        },
        required: ['root', 'units'],
        additionalProperties: false,
      },
    ],
    messages: {
      crosses:
        "'{{specifier}}' leaves {{from}} for {{to}}: import another unit by its package name " +
        '(its public entry), never by a path into its files.',
    },
  },
  create(context) {
    const { root, units } = context.options[0];
    const file = context.physicalFilename;
    const toRoot = (p) => path.relative(root, p).split(path.sep).join('/');
    const from = unitOf(toRoot(file), units);
    return importVisitor((node, specifier) => {
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) return;
      const to = unitOf(toRoot(path.resolve(path.dirname(file), specifier)), units);
      if (to !== from) context.report({ node, messageId: 'crosses', data: { specifier, from, to } });
    });
  },
};

/** Test runners and property testing: never in a file that ships. */
const TEST_PACKAGES = /^(vitest|@vitest\/|fast-check$|playwright-core$|@playwright\/)/;
/** A test kit: `*.testkit.ts` or anything under a `testing/` folder. */
const TEST_KIT = /(\.testkit(\.js)?$)|(^|\/)testing\//;

const noTestCodeInBuild = {
  meta: {
    type: 'problem',
    docs: { description: 'A file that ships imports no test runner and no test kit.' },
    schema: [],
    messages: {
      testCode:
        "'{{specifier}}' is test code: a file that ships may not import it (it would land in " +
        'dist/). Name the file *.test.ts or *.testkit.ts if it is test code itself.',
    },
  },
  create(context) {
    return importVisitor((node, specifier) => {
      if (TEST_PACKAGES.test(specifier) || TEST_KIT.test(specifier)) {
        context.report({ node, messageId: 'testCode', data: { specifier } });
      }
    });
  },
};

/** The plugin: `boundaries/no-cross-package-relative`, `boundaries/no-test-code-in-build`. */
export default {
  meta: { name: 'checkpoint-lane-boundaries' },
  rules: {
    'no-cross-package-relative': noCrossPackageRelative,
    'no-test-code-in-build': noTestCodeInBuild,
  },
};

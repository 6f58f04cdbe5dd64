import { awscdk, javascript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-ecs-workloads',
  description:
    'Opinionated, secure-by-default AWS CDK constructs for the four shapes of work on Amazon ECS: ' +
    'queue workers, load-balanced inference services, daemon agents and scheduled tasks.',
  author: 'cdk-ecs-workloads maintainers',
  authorAddress: 'maintainers@cdk-ecs-workloads.dev',
  repositoryUrl: 'https://github.com/cdk-ecs-workloads/cdk-ecs-workloads.git',
  license: 'Apache-2.0',
  keywords: ['cdk', 'aws-cdk', 'ecs', 'fargate', 'containers', 'sqs', 'batch', 'inference', 'daemon', 'scheduler'],
  stability: 'experimental',

  cdkVersion: '2.257.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  // Python package on PyPI (the release workflow publishes it; it cannot run offline).
  publishToPypi: {
    distName: 'cdk-ecs-workloads',
    module: 'cdk_ecs_workloads',
  },

  // `npx cdk-ecs-workloads cost cdk.out`: what the synthesized stacks cost (src/cli.ts).
  bin: { 'cdk-ecs-workloads': 'lib/cli.js' },

  devDeps: [
    'cdk-nag@^3.0.2',
    '@cdklabs/cdk-validator-cfnguard@^0.0.62',
    'aws-cdk@^2',
    '@aws-cdk/integ-runner@^2',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    'fast-check@^4',
    // Offline IAM policy evaluation for the deploy-proof tests (AGPL-3.0-or-later, test-only, never shipped).
    '@cloud-copilot/iam-simulate@^0.1.173',
    // Resolves the package's own name to src/ when ts-node runs examples/.
    'tsconfig-paths@^4',
    // Evaluates the JSONata of the wake-up state machine in its tests, as Step Functions does (MIT).
    'jsonata@^2.2.2',
  ],

  // Integ snapshots are verified by our own task (see `integ` below).
  integrationTestAutoDiscover: false,

  jestOptions: {
    // The default passes --updateSnapshot, which makes every snapshot test impossible to fail.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      // Both cores: jest's default leaves one idle, and the cfn-guard child processes keep a worker waiting.
      maxWorkers: 2,
      // The deploy-proof checks make the compliance tests asynchronous, and jest's 5 s limit for an
      // asynchronous test is too tight for cdk-nag + cfn-guard + IAM evaluation on a busy 2-core machine.
      testTimeout: 60_000,
      coveragePathIgnorePatterns: ['/node_modules/', '/test/', '/scripts/'],
      // Issue 8, point 4: CI fails when coverage of src/ drops below 90 % (projen nests this under `global`).
      coverageThreshold: { lines: 90, branches: 90, functions: 90, statements: 90 },
    },
  },

  gitignore: ['cdk.out/', '.venv/', 'bench/.build/', '.jsii.tabl.json', 'test/*.snapshot/**/asset.*'],
  npmignoreEnabled: true,
  npmIgnoreOptions: { ignorePatterns: ['examples/', 'bench/', 'docs/', 'scripts/', '.ci/', 'cdk.out/'] },
});

// The npm mirror lacks some optional non-Linux binaries of unrs-resolver's newest releases.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// The release bumper's 13.x line and its conventional-changelog dependencies declare Node >= 22, so
// every install on Node 20 printed some 90 lines of EBADENGINE warnings; 12.x does the same job on Node >= 18.
project.deps.removeDependency('commit-and-tag-version');
project.addDevDeps('commit-and-tag-version@^12');

// npm 11 lists every dependency whose install script nobody reviewed: these two are reviewed (a native
// binding check of the eslint import resolver, and a file watcher's optional build from source).
project.package.addField('allowScripts', { '@parcel/watcher': true, 'unrs-resolver': true });

// `package:js` needs the .jsii file of a compile: compile first when a fresh clone has none.
project.tasks.tryFind('package:js')!.prependExec('test -f .jsii || projen compile');

// ts-jest type-checks every file by default; tsc (jsii) already does that on compile.
project.jest!.config.transform = {
  '^.+\\.[t]sx?$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }],
};

// Compile every README / @example snippet (so Python users get translated examples that work).
project.postCompileTask.exec('jsii-rosetta extract --strict');

// 1st README command: synthesize the example app into cdk.out/.
project.addTask('docs:dashboard', {
  description: 'Draw the example app\'s dashboard as docs/dashboard.svg (a test fails when it is stale)',
  exec: 'ts-node -P test/tsconfig.json scripts/dashboard-svg.ts',
});

project.addTask('synth:example', {
  description: 'Synthesize the example app (every construct) into cdk.out/',
  // The examples import the package by name, as an app would; tsconfig-paths (registered after ts-node,
  // so that it knows the .ts extension) maps the name to src/. TypeScript 6 deprecates baseUrl in
  // tsconfig, so tsconfig-paths gets it here, relative to test/.
  exec: 'cdk synth --app "node -r ts-node/register -r tsconfig-paths/register examples/app.ts" --output cdk.out --quiet',
  env: { TS_NODE_PROJECT: 'test/tsconfig.json', TS_NODE_PREFER_TS_EXTS: 'true', TS_NODE_BASEURL: '.' },
});

// Integ snapshots: verified offline (no deploy); `integ:update` rewrites them after a reviewed change.
const integArgs = '--directory test --language typescript --app "ts-node --prefer-ts-exts -P test/tsconfig.json {filePath}" --parallel-regions us-east-1';
project.addTask('integ', {
  description: 'Verify the integ test snapshots (no deploy)',
  exec: `integ-runner ${integArgs} --dry-run`,
});
project.addTask('integ:update', {
  description: 'Rewrite the integ test snapshots (review the diff!)',
  exec: `integ-runner ${integArgs} --dry-run --update-on-failed`,
});
// Deploys every integ stack into the account and Region of your credentials, runs its assertions, then
// destroys it (see docs/integ-tests.md). `npx projen integ:deploy integ.scheduled-task.ts` runs one.
project.addTask('integ:deploy', {
  description: 'Deploy the integ tests to a real AWS account, run their assertions, destroy them (costs money)',
  steps: [{
    exec: `integ-runner ${integArgs} --update-on-failed --force --no-update-workflow --max-workers 2 --verbose`,
    receiveArgs: true,
  }],
});

// The whole suite with the property tests at CI's volume (about 160 valid and 150 invalid prop sets per
// construct), outside CI; `npx projen test` runs one batch of valid ones and a fifteenth of the invalid
// ones to stay fast.
// Coverage (and its 90 % gate) is collected where CI is set: it costs a third of the suite's time on
// 2 cores, which the README's local test command cannot spare. (Steps with conditions: projen's task
// shell does not expand ${VAR:-default}.)
const jestStep = project.testTask.steps.findIndex(step => step.exec === 'jest' || step.execArgs?.[0] === 'jest');
project.testTask.updateStep(jestStep, {
  exec: 'jest --ci --coverage', receiveArgs: true, condition: 'node -e "if (!process.env.CI) process.exit(1)"',
});
project.testTask.insertStep(jestStep + 1, {
  exec: 'jest --ci --coverage=false', receiveArgs: true, condition: 'node -e "if (process.env.CI) process.exit(1)"',
});
// eslint (48 s on 2 cores) runs where CI is set too; `npx projen eslint` runs it locally.
const eslintStep = project.testTask.steps.findIndex(step => step.spawn === 'eslint');
project.testTask.updateStep(eslintStep, { spawn: 'eslint', condition: 'node -e "if (!process.env.CI) process.exit(1)"' });

project.addTask('test:full', {
  description: 'Run every test with the property tests at the volume CI runs',
  env: { FC_VALID_BATCHES: '40', FC_INVALID_RUNS: '150' },
  steps: [{ exec: 'jest --ci', receiveArgs: true }],
});

// Benchmarks run compiled JavaScript so that TypeScript compilation is not what gets measured.
const bench = project.addTask('bench', {
  description: 'Synthesis benchmark against a hand-wired aws-cdk-lib baseline (writes docs/benchmarks.md and .svg)',
});
bench.exec('tsc -p bench/tsconfig.json');
bench.exec('node bench/.build/bench/run.js', { receiveArgs: true });


// Transpile test files one by one (no cross-file type check in jest; tsc and jsii do that).
project.tryFindObjectFile('test/tsconfig.json')!.addOverride('compilerOptions.isolatedModules', true);
// examples/ imports the package by its name, so that each example can be copied into an app as is.
project.tryFindObjectFile('test/tsconfig.json')!.addOverride('compilerOptions.paths', { 'cdk-ecs-workloads': ['../src/index'] });
project.jest!.config.moduleNameMapper = { '^cdk-ecs-workloads$': '<rootDir>/src/index.ts' };

project.synth();

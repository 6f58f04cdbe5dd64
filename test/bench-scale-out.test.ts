import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BaselineStack } from '../bench/apps/baseline';
import { OursStack } from '../bench/apps/ours';
import { benchApp } from '../bench/apps/shared';
import { firstScaleOut, scenarioDelays } from '../bench/scale-out';

/** The benchmark's model of "first upload → first scale-out action", on the two bench apps. */
function templateOf(kind: 'ours' | 'baseline'): any {
  const app = benchApp(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-out-')), 'cdk-init');
  const stack = kind === 'ours' ? new OursStack(app, 'Ours') : new BaselineStack(app, 'Baseline');
  // The baseline's construct warnings are printed as a validation report: known, and not this test's subject.
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return app.synth().getStackByName(stack.stackName).template;
  } finally {
    quiet.mockRestore();
  }
}

test('ours: the event path acts first, recently active or after a long idle; the alarm backstop acts on one message', () => {
  const model = firstScaleOut(templateOf('ours'), 'QueueWorker');
  expect(model.eventPath?.ecsCalls).toEqual(['describeServices', 'updateService']);
  expect(model.alarmPath).toMatchObject({ alarmSeconds: 60, messagesToScaleOut: 1 });
  expect(scenarioDelays(model).map(r => [r.firstPath, r.seconds])).toEqual([['event path', 4], ['event path', 4]]);
});

test('baseline: one message never scales out; the first step needs 100 messages and a 300-second alarm', () => {
  const model = firstScaleOut(templateOf('baseline'), 'QueueWorker');
  expect(model.eventPath).toBeUndefined();
  expect(model.alarmPath).toMatchObject({ periodSeconds: 300, messagesToScaleOut: 100 });
  expect(scenarioDelays(model)[0].delay).toMatch(/^never for a single message \(first step at 100 messages\); 360 s/);
});

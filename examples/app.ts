import { App } from 'aws-cdk-lib';
import { buildExampleApp } from './example-app';

/**
 * The example app (see `example-app.ts`).
 * `npx projen synth:example` writes every template to cdk.out/.
 */
const app = new App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
buildExampleApp(app);
app.synth();

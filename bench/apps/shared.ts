import { App } from 'aws-cdk-lib';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';

/** Image every benchmark workload runs (never pulled: synthesis only). */
export const IMAGE = 'public.ecr.aws/docker/library/busybox:stable';

/** Construct ids of the five workloads, identical in both apps so results line up. */
export const WORKLOADS = ['QueueWorker', 'AlbInference', 'NlbService', 'DaemonAgent', 'NightlyTask'] as const;

/** The feature flags both apps are synthesized with. */
export type FlagSet = 'cdk-init' | 'none';

export const FLAG_SETS: Record<FlagSet, { label: string; context: Record<string, unknown> }> = {
  // `cdk init` writes every flag of the aws-cdk-lib release it runs with into cdk.json
  // (https://docs.aws.amazon.com/cdk/v2/guide/featureflags.html): the flags of a new project.
  'cdk-init': { label: 'feature flags of a new `cdk init` project', context: { ...CURRENTLY_RECOMMENDED_FLAGS } },
  'none': { label: 'no feature flags (aws-cdk-lib\'s legacy defaults)', context: {} },
};

export const FLAG_SET_NAMES = Object.keys(FLAG_SETS) as FlagSet[];

/** The app a benchmark stack lives in: the given flags, path metadata on, no stack traces. */
export function benchApp(outdir: string, flags: FlagSet): App {
  return new App({
    outdir,
    stackTraces: false,
    context: { ...FLAG_SETS[flags].context, 'aws:cdk:enable-path-metadata': true },
  });
}

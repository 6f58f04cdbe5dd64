/** Public AWS Fargate prices (Linux, us-east-1) used to compare task-hours. */
export const PRICE_SOURCE = 'AWS Fargate pricing, https://aws.amazon.com/fargate/pricing/, Linux us-east-1: ' +
  'x86_64 0.04048 USD per vCPU-hour and 0.004445 USD per GB-hour; ARM64 0.03238 and 0.00356. ' +
  'Fargate Spot is modelled at AWS\'s stated discount of up to 70 % (actual Spot prices vary by Region and time)';

const ON_DEMAND = {
  X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 },
  ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 },
};
const SPOT_FRACTION_OF_ON_DEMAND = 0.3;

export interface TaskHourPrice {
  readonly vcpu: number;
  readonly memoryGiB: number;
  readonly architecture: 'X86_64' | 'ARM64';
  readonly spotShare: number;
  readonly usdPerHour: number;
}

/** Price of one task-hour of the workload's (first) Fargate task definition and service strategy. */
export function workerTaskHourPrice(template: any, workload: string): TaskHourPrice {
  const resources = Object.values<any>(template.Resources ?? {})
    .filter(r => String(r.Metadata?.['aws:cdk:path'] ?? '').split('/').includes(workload));
  const taskDefinition = resources.find(r => r.Type === 'AWS::ECS::TaskDefinition');
  const service = resources.find(r => r.Type === 'AWS::ECS::Service');
  if (!taskDefinition || !service) throw new Error(`no task definition or service under ${workload}`);
  const vcpu = Number(taskDefinition.Properties.Cpu) / 1024;
  const memoryGiB = Number(taskDefinition.Properties.Memory) / 1024;
  const architecture = taskDefinition.Properties.RuntimePlatform?.CpuArchitecture === 'ARM64' ? 'ARM64' : 'X86_64';
  const strategy: any[] = service.Properties.CapacityProviderStrategy ?? [];
  const totalWeight = strategy.reduce((sum, s) => sum + (s.Weight ?? 0), 0);
  const spotWeight = strategy.filter(s => s.CapacityProvider === 'FARGATE_SPOT').reduce((sum, s) => sum + (s.Weight ?? 0), 0);
  const spotShare = totalWeight > 0 ? spotWeight / totalWeight : 0;
  const rate = ON_DEMAND[architecture];
  const onDemand = vcpu * rate.vcpuHour + memoryGiB * rate.gbHour;
  const usdPerHour = onDemand * (1 - spotShare) + onDemand * SPOT_FRACTION_OF_ON_DEMAND * spotShare;
  return { vcpu, memoryGiB, architecture, spotShare, usdPerHour };
}

/**
 * Network hops of the storage volumes the NFS check of `network.ts` does not know, for the tasks of
 * ECS services and of EventBridge Scheduler schedules:
 * - S3 Files: the tasks → the mount targets of each S3 Files file system they mount, NFS 2049;
 * - FSx for Windows File Server: the container instances of the capacity providers the tasks run on
 *   (the Windows host maps the share over SMB and hands it to the container) → the file system, SMB
 *   445. A DAEMON service names no capacity provider: it runs on the instances of every provider
 *   associated with its cluster.
 * A file system in the templates is checked with its security groups' rules; an imported one (given
 * by id) by the ingress rules the templates add to the security groups named for it.
 */
import { DeployModel, listOf, ResourceNode, taskDefinitionOf, Templates } from './graph';
import { canReach } from './network';

/** Whether an ingress rule of the templates admits `source` (a security group node) on `port` into group id `groupId` (a literal). */
function literalGroupAdmits(m: DeployModel, groupId: string, source: ResourceNode, port: number): boolean {
  return m.ofType('AWS::EC2::SecurityGroupIngress').some(r => {
    const p = r.properties;
    const protocol = String(p.IpProtocol);
    const covers = (protocol === 'tcp' || protocol === '6' || protocol === '-1') && (protocol === '-1' || (p.FromPort <= port && port <= p.ToPort));
    return p.GroupId === groupId && covers && m.resolve(r.stackName, p.SourceSecurityGroupId) === source;
  });
}

/** `stackName/logicalId` of a node, as `canReach` takes it for an app. */
function keyOf(node: ResourceNode): string {
  return node.stackName ? `${node.stackName}/${node.logicalId}` : node.logicalId;
}

/** Security groups of the instances of EC2 capacity providers. */
function hostGroups(m: DeployModel, providers: ResourceNode[]): ResourceNode[] {
  const out: ResourceNode[] = [];
  for (const provider of providers) {
    const asg = provider && m.resolve(provider.stackName, provider.properties.AutoScalingGroupProvider?.AutoScalingGroupArn);
    const spec = asg?.properties.LaunchTemplate ?? asg?.properties.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    const lt = asg && m.resolve(asg.stackName, spec?.LaunchTemplateId);
    for (const g of listOf(lt?.properties.LaunchTemplateData?.SecurityGroupIds)) {
      const sg = m.resolve(lt!.stackName, g);
      if (sg && !out.includes(sg)) out.push(sg);
    }
  }
  return out;
}

/** What starts tasks: its node, task definition, the tasks' security groups and the capacity providers they run on. */
interface Starter {
  readonly node: ResourceNode;
  readonly what: string;
  readonly taskDefinition?: ResourceNode;
  readonly taskGroups: ResourceNode[];
  readonly providers: ResourceNode[];
}

/** The `AWS::ECS::CapacityProvider` nodes of a list of references (FARGATE and the like are names, not nodes). */
function providersOf(m: DeployModel, stackName: string, refs: unknown[]): ResourceNode[] {
  return refs.map(ref => m.resolveOfType(stackName, ref, 'AWS::ECS::CapacityProvider')).filter((n): n is ResourceNode => n !== undefined);
}

function starters(m: DeployModel): Starter[] {
  const out: Starter[] = [];
  for (const service of m.ofType('AWS::ECS::Service')) {
    const p = service.properties;
    let providers = providersOf(m, service.stackName, listOf(p.CapacityProviderStrategy).map(item => item?.CapacityProvider));
    if (p.SchedulingStrategy === 'DAEMON') {
      const cluster = m.resolve(service.stackName, p.Cluster);
      providers = m.ofType('AWS::ECS::ClusterCapacityProviderAssociations')
        .filter(a => cluster && m.resolve(a.stackName, a.properties.Cluster) === cluster)
        .flatMap(a => providersOf(m, a.stackName, listOf(a.properties.CapacityProviders)));
    }
    out.push({
      node: service,
      what: `ECS service ${service.logicalId}`,
      taskDefinition: taskDefinitionOf(m, service),
      taskGroups: groupsOf(m, service.stackName, p.NetworkConfiguration?.AwsvpcConfiguration?.SecurityGroups),
      providers,
    });
  }
  for (const schedule of m.ofType('AWS::Scheduler::Schedule')) {
    const ecs = schedule.properties.Target?.EcsParameters;
    if (!ecs) continue;
    out.push({
      node: schedule,
      what: `schedule ${schedule.logicalId}`,
      taskDefinition: m.resolveOfType(schedule.stackName, ecs.TaskDefinitionArn, 'AWS::ECS::TaskDefinition'),
      taskGroups: groupsOf(m, schedule.stackName, ecs.NetworkConfiguration?.AwsvpcConfiguration?.SecurityGroups),
      providers: providersOf(m, schedule.stackName, listOf(ecs.CapacityProviderStrategy).map(item => item?.CapacityProvider)),
    });
  }
  return out;
}

/** The security group nodes a list of references names. */
function groupsOf(m: DeployModel, stackName: string, refs: unknown): ResourceNode[] {
  return listOf(refs).map(g => m.resolve(stackName, g)).filter((n): n is ResourceNode => n !== undefined);
}

/** Each storage hop that a packet cannot take, one message each. */
export function storageNetworkProblems(input: Templates): string[] {
  const m = new DeployModel(input);
  const problems: string[] = [];
  for (const { what, taskDefinition: td, taskGroups, providers } of starters(m)) {
    if (!td) continue;
    for (const v of listOf(td.properties.Volumes)) {
      const s3files = v?.S3FilesVolumeConfiguration;
      if (s3files) {
        const fs = m.resolve(td.stackName, s3files.FileSystemArn);
        if (!fs) continue;
        const targets = m.ofType('AWS::S3Files::MountTarget').filter(mt => m.resolve(mt.stackName, mt.properties.FileSystemId) === fs);
        if (targets.length === 0) {
          problems.push(`[tasks-to-s3files] S3 Files file system ${fs.logicalId} has no mount target: the tasks of ${what} cannot mount volume ${v.Name}.`);
        }
        for (const mt of targets) {
          for (const dst of groupsOf(m, mt.stackName, mt.properties.SecurityGroups)) {
            for (const src of taskGroups) {
              const r = canReach(input, keyOf(src), keyOf(dst), 2049);
              if (!r.allowed) {
                problems.push(`[tasks-to-s3files] tasks of ${what} → S3 Files mount target ${mt.logicalId}: ${r.reason}. ` +
                  'Tasks stop with "ResourceInitializationError" (mount.nfs4: Connection timed out).');
              }
            }
          }
        }
      }
      const fsx = v?.FSxWindowsFileServerVolumeConfiguration;
      if (fsx) {
        const hosts = hostGroups(m, providers);
        if (hosts.length === 0) {
          problems.push(`[hosts-to-fsx] ${what} mounts FSx volume ${v.Name} but runs on no EC2 capacity provider of the templates: ` +
            'no Windows host maps the share.');
          continue;
        }
        const fileSystem = m.resolve(td.stackName, fsx.FileSystemId);
        for (const host of hosts) {
          if (fileSystem) {
            for (const dst of groupsOf(m, fileSystem.stackName, fileSystem.properties.SecurityGroupIds)) {
              const r = canReach(input, keyOf(host), keyOf(dst), 445);
              if (!r.allowed) problems.push(`[hosts-to-fsx] instances ${host.logicalId} → FSx file system ${fileSystem.logicalId}: ${r.reason}. The task fails to start: the host cannot map the share.`);
            }
          } else {
            const named = m.ofType('AWS::EC2::SecurityGroupIngress').filter(r => typeof r.properties.GroupId === 'string' && Number(r.properties.FromPort) <= 445 && 445 <= Number(r.properties.ToPort));
            if (!named.some(r => literalGroupAdmits(m, r.properties.GroupId, host, 445))) {
              problems.push(`[hosts-to-fsx] instances ${host.logicalId} → FSx file system ${JSON.stringify(fsx.FileSystemId)}: no ingress rule of the templates admits them on SMB 445 into a security group of the file system.`);
            }
          }
        }
      }
    }
  }
  return problems;
}

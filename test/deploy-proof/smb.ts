/**
 * Network hops of the storage volumes the NFS check of `network.ts` does not know:
 * - S3 Files: the tasks of a service → the mount targets of each S3 Files file system they mount, NFS 2049;
 * - FSx for Windows File Server: the container instances of the service's capacity providers (the
 *   Windows host maps the share over SMB and hands it to the container) → the file system, SMB 445.
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

/** Security groups of the instances of the EC2 capacity providers an ECS service names. */
function hostGroups(m: DeployModel, service: ResourceNode): ResourceNode[] {
  const out: ResourceNode[] = [];
  for (const item of listOf(service.properties.CapacityProviderStrategy)) {
    const provider = m.resolve(service.stackName, item?.CapacityProvider);
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

/** The security group nodes a list of references names. */
function groupsOf(m: DeployModel, stackName: string, refs: unknown): ResourceNode[] {
  return listOf(refs).map(g => m.resolve(stackName, g)).filter((n): n is ResourceNode => n !== undefined);
}

/** Each storage hop that a packet cannot take, one message each. */
export function storageNetworkProblems(input: Templates): string[] {
  const m = new DeployModel(input);
  const problems: string[] = [];
  for (const service of m.ofType('AWS::ECS::Service')) {
    const td = taskDefinitionOf(m, service);
    if (!td) continue;
    const taskGroups = groupsOf(m, service.stackName, service.properties.NetworkConfiguration?.AwsvpcConfiguration?.SecurityGroups);
    for (const v of listOf(td.properties.Volumes)) {
      const s3files = v?.S3FilesVolumeConfiguration;
      if (s3files) {
        const fs = m.resolve(td.stackName, s3files.FileSystemArn);
        if (!fs) continue;
        const targets = m.ofType('AWS::S3Files::MountTarget').filter(mt => m.resolve(mt.stackName, mt.properties.FileSystemId) === fs);
        if (targets.length === 0) {
          problems.push(`[tasks-to-s3files] S3 Files file system ${fs.logicalId} has no mount target: the tasks of ${service.logicalId} cannot mount volume ${v.Name}.`);
        }
        for (const mt of targets) {
          for (const dst of groupsOf(m, mt.stackName, mt.properties.SecurityGroups)) {
            for (const src of taskGroups) {
              const r = canReach(input, keyOf(src), keyOf(dst), 2049);
              if (!r.allowed) {
                problems.push(`[tasks-to-s3files] tasks of ECS service ${service.logicalId} → S3 Files mount target ${mt.logicalId}: ${r.reason}. ` +
                  'Tasks stop with "ResourceInitializationError" (mount.nfs4: Connection timed out).');
              }
            }
          }
        }
      }
      const fsx = v?.FSxWindowsFileServerVolumeConfiguration;
      if (fsx) {
        const hosts = hostGroups(m, service);
        if (hosts.length === 0) {
          problems.push(`[hosts-to-fsx] ECS service ${service.logicalId} mounts FSx volume ${v.Name} but runs on no EC2 capacity provider of the templates: ` +
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

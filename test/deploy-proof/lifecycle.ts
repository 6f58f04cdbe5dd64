/**
 * Lifecycle order of synthesized templates, evaluated the way CloudFormation orders work.
 *
 * CloudFormation creates a resource only after every resource it depends on (`DependsOn`, `Ref`,
 * `Fn::GetAtt`, `Fn::Sub` `${X}` / `${X.Attr}`, and across stacks `Fn::ImportValue` and the stack's
 * own dependencies: see `graph.ts`), and deletes it before them. Two resources with no path between
 * them are created and deleted in parallel. The rules below name the pairs where parallel is not good
 * enough: AWS accepts the API call but the workload fails to start, or `cdk destroy` fails.
 */
import {
  DeployModel, efsVolumesOf, lbAttributes, listenersOf, listOf, mountTargetsOf, ResourceNode, RuleCheck, taskDefinitionOf, Templates,
} from './graph';

/** Names of the ordering rules, as they appear at the start of each message. */
export enum OrderRule {
  CAPACITY_PROVIDER_ASSOCIATION = 'service-after-capacity-provider-association',
  LISTENER = 'service-after-listener',
  EFS_MOUNT_TARGETS = 'service-after-efs-mount-targets',
  ACCESS_LOG_BUCKET_POLICY = 'load-balancer-after-access-log-bucket-policy',
  SCALABLE_TARGET = 'scalable-target-after-service',
  ROLE_POLICIES = 'service-after-role-policies',
}

/** One pair a rule looked at: `after` must depend on `before`. */
interface OrderCheck extends RuleCheck<OrderRule> {
  readonly after: string;
  readonly before?: string;
}

/** Every pair the ordering rules look at, passing or not. */
export function orderChecks(input: Templates): OrderCheck[] {
  const model = new DeployModel(input);
  const checks: OrderCheck[] = [];
  const name = (n: ResourceNode) => model.name(n);
  const services = model.ofType('AWS::ECS::Service');

  // 1. Capacity provider strategy after the cluster's capacity provider associations.
  for (const service of services) {
    const strategy = listOf(service.properties.CapacityProviderStrategy);
    if (strategy.length === 0) continue;
    const cluster = model.resolve(service.stackName, service.properties.Cluster);
    if (!cluster) continue;
    const associations = model.ofType('AWS::ECS::ClusterCapacityProviderAssociations')
      .filter(a => model.resolve(a.stackName, a.properties.Cluster) === cluster);
    const used = strategy.map(s => ({ expr: s?.CapacityProvider, key: model.keyOf(service.stackName, s?.CapacityProvider) }));
    for (const association of associations) {
      const ok = model.dependsOn(service, association);
      checks.push({
        rule: OrderRule.CAPACITY_PROVIDER_ASSOCIATION,
        after: name(service),
        before: name(association),
        ok,
        message: `ECS service ${name(service)} uses capacity provider(s) ${used.map(u => model.describe(service.stackName, u.expr)).join(', ')} ` +
          `but does not depend on ${name(association)} (AWS::ECS::ClusterCapacityProviderAssociations of cluster ${name(cluster)}): ` +
          'CloudFormation may create the service before the providers are associated with the cluster (CreateService fails), and on ' +
          'cdk destroy it may delete the association while the service still runs tasks on them ("The specified capacity provider is in use").',
      });
    }
    if (associations.length > 0) {
      const associated = new Set(associations.flatMap(a =>
        listOf(a.properties.CapacityProviders).map(p => model.keyOf(a.stackName, p))));
      for (const u of used) {
        if (associated.has(u.key)) continue;
        // A Managed Instances provider names its cluster itself and is listed in no association.
        const scoped = model.resolveOfType(service.stackName, u.expr, 'AWS::ECS::CapacityProvider');
        if (scoped?.properties.ManagedInstancesProvider && model.resolve(scoped.stackName, scoped.properties.ClusterName) === cluster) continue;
        checks.push({
          rule: OrderRule.CAPACITY_PROVIDER_ASSOCIATION,
          after: name(service),
          ok: false,
          message: `ECS service ${name(service)} uses capacity provider ${model.describe(service.stackName, u.expr)}, which no ` +
            `ClusterCapacityProviderAssociations of cluster ${name(cluster)} lists: CreateService fails ("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster").`,
        });
      }
    }
  }

  // 2. Load-balanced services after the listeners that forward to their target groups.
  for (const service of services) {
    for (const lb of listOf(service.properties.LoadBalancers)) {
      const tg = model.resolveOfType(service.stackName, lb?.TargetGroupArn, 'AWS::ElasticLoadBalancingV2::TargetGroup');
      if (!tg) continue;
      const listeners = listenersOf(model, tg);
      if (listeners.length === 0) {
        checks.push({
          rule: OrderRule.LISTENER,
          after: name(service),
          before: name(tg),
          ok: false,
          message: `No listener or listener rule forwards to target group ${name(tg)} of ECS service ${name(service)}: ` +
            'CreateService fails ("The target group ... does not have an associated load balancer").',
        });
      }
      for (const listener of listeners) {
        checks.push({
          rule: OrderRule.LISTENER,
          after: name(service),
          before: name(listener),
          ok: model.dependsOn(service, listener),
          message: `ECS service ${name(service)} does not depend on ${name(listener)} (${listener.type}), which forwards to its target group ${name(tg)}: ` +
            'CloudFormation may create the service before the target group is attached to a load balancer, and CreateService fails ' +
            '("The target group ... does not have an associated load balancer").',
        });
      }
    }
  }

  // 3. Services that mount EFS after the file system's mount targets.
  for (const service of services) {
    const td = taskDefinitionOf(model, service);
    if (!td) continue;
    for (const fs of efsVolumesOf(model, td).fileSystems) {
      for (const mt of mountTargetsOf(model, fs)) {
        checks.push({
          rule: OrderRule.EFS_MOUNT_TARGETS,
          after: name(service),
          before: name(mt),
          ok: model.dependsOn(service, mt),
          message: `ECS service ${name(service)} mounts EFS file system ${name(fs)} but does not depend on its mount target ${name(mt)}: ` +
            'CloudFormation may start tasks before the mount target is available, and they stop with "ResourceInitializationError: ' +
            'failed to invoke EFS utils commands to set up EFS volumes" (and on cdk destroy the mount target may go while tasks still use it).',
        });
      }
    }
  }

  // 4. Load balancers that write access logs after the bucket policy that lets them.
  for (const lb of model.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    const attributes = lbAttributes(lb);
    if (String(attributes.get('access_logs.s3.enabled')) !== 'true') continue;
    const bucket = model.resolveOfType(lb.stackName, attributes.get('access_logs.s3.bucket'), 'AWS::S3::Bucket');
    if (!bucket) continue;
    const policies = model.ofType('AWS::S3::BucketPolicy').filter(p => model.resolve(p.stackName, p.properties.Bucket) === bucket);
    if (policies.length === 0) {
      checks.push({
        rule: OrderRule.ACCESS_LOG_BUCKET_POLICY,
        after: name(lb),
        before: name(bucket),
        ok: false,
        message: `Load balancer ${name(lb)} writes access logs to bucket ${name(bucket)}, which has no AWS::S3::BucketPolicy: ` +
          'the load balancer cannot write there, and CloudFormation fails it with "Access Denied for bucket ... Please check S3bucket permission".',
      });
    }
    for (const policy of policies) {
      checks.push({
        rule: OrderRule.ACCESS_LOG_BUCKET_POLICY,
        after: name(lb),
        before: name(policy),
        ok: model.dependsOn(lb, policy),
        message: `Load balancer ${name(lb)} writes access logs to bucket ${name(bucket)} but does not depend on its bucket policy ${name(policy)}: ` +
          'Elastic Load Balancing checks it can write when the attribute is set, and CloudFormation fails the load balancer with ' +
          '"Access Denied for bucket ... Please check S3bucket permission" when the policy is not there yet.',
      });
    }
  }

  // 5. Scalable targets of ECS services after the service.
  for (const target of model.ofType('AWS::ApplicationAutoScaling::ScalableTarget')) {
    if (target.properties.ServiceNamespace !== 'ecs') continue;
    let targeted = model.refsIn(target.stackName, target.properties.ResourceId).filter(n => n.type === 'AWS::ECS::Service');
    if (targeted.length === 0) {
      const literal = JSON.stringify(target.properties.ResourceId ?? '');
      targeted = services.filter(s => typeof s.properties.ServiceName === 'string' && literal.includes(`/${s.properties.ServiceName}"`));
    }
    for (const service of targeted) {
      checks.push({
        rule: OrderRule.SCALABLE_TARGET,
        after: name(target),
        before: name(service),
        ok: model.dependsOn(target, service),
        message: `Scalable target ${name(target)} scales ECS service ${name(service)} but does not depend on it: RegisterScalableTarget ` +
          'fails while the service does not exist yet, and on cdk destroy the service may be deleted first.',
      });
    }
  }

  // 6. Services after the IAM policies of their task role and execution role.
  const policies = [...model.ofType('AWS::IAM::Policy'), ...model.ofType('AWS::IAM::ManagedPolicy')];
  for (const service of services) {
    const td = taskDefinitionOf(model, service);
    if (!td) continue;
    for (const [prop, what] of [['TaskRoleArn', 'task role'], ['ExecutionRoleArn', 'execution role']] as const) {
      const role = model.resolveOfType(td.stackName, td.properties[prop], 'AWS::IAM::Role');
      if (!role) continue;
      for (const policy of policies) {
        const attached = listOf(policy.properties.Roles).some(r => model.resolve(policy.stackName, r) === role);
        if (!attached) continue;
        checks.push({
          rule: OrderRule.ROLE_POLICIES,
          after: name(service),
          before: name(policy),
          ok: model.dependsOn(service, policy),
          message: `ECS service ${name(service)} does not depend on ${name(policy)} (${policy.type}), the policy of its ${what} ${name(role)}: ` +
            'CloudFormation may start tasks before the policy is attached, and their first calls are denied ' +
            (what === 'execution role'
              ? '(image pull or log stream creation fails: CannotPullContainerError / ResourceInitializationError, and the deployment circuit breaker may roll back).'
              : '(the application\'s first AWS calls fail with AccessDenied).'),
        });
      }
    }
  }
  return checks;
}

/**
 * The ordering problems of a template (or of the stacks of one app): one message per pair of
 * resources that CloudFormation may create or delete in the wrong order, starting with the rule's name.
 */
export function orderProblems(input: Templates): string[] {
  return orderChecks(input).filter(c => !c.ok).map(c => `[${c.rule}] ${c.message}`);
}

/**
 * Resources whose deletion does not complete on `cdk destroy` as configured, one message each:
 * load balancers with deletion protection, and Auto Scaling groups whose instances are protected
 * from scale-in (directly, or by the managed termination protection of a capacity provider).
 */
export function deletionBlockers(input: Templates): string[] {
  const model = new DeployModel(input);
  const out: string[] = [];
  for (const lb of model.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    if (String(lbAttributes(lb).get('deletion_protection.enabled')) === 'true') {
      out.push(`${model.name(lb)} (${lb.type}): deletion_protection.enabled is true, so cdk destroy fails with ` +
        '"Load balancer ... cannot be deleted because deletion protection is enabled" and the stack ends in DELETE_FAILED.');
    }
  }
  const providers = model.ofType('AWS::ECS::CapacityProvider');
  for (const asg of model.ofType('AWS::AutoScaling::AutoScalingGroup')) {
    const why: string[] = [];
    if (asg.properties.NewInstancesProtectedFromScaleIn === true || asg.properties.NewInstancesProtectedFromScaleIn === 'true') {
      why.push('NewInstancesProtectedFromScaleIn is true');
    }
    for (const p of providers) {
      const provider = p.properties.AutoScalingGroupProvider ?? {};
      if (provider.ManagedTerminationProtection === 'ENABLED' && model.resolve(p.stackName, provider.AutoScalingGroupArn) === asg) {
        why.push(`capacity provider ${model.name(p)} has ManagedTerminationProtection ENABLED`);
      }
    }
    if (why.length > 0) {
      out.push(`${model.name(asg)} (${asg.type}): ${why.join(' and ')}, so its instances keep their scale-in protection ` +
        'after the capacity provider is gone and the group cannot terminate them: deleting the group hangs until it times out ' +
        '(aws/aws-cdk#18179, aws/containers-roadmap#2862).');
    }
  }
  const retained = (n: { resource: { DeletionPolicy?: string } }) => n.resource.DeletionPolicy === 'Retain' || n.resource.DeletionPolicy === 'RetainExceptOnCreate';
  for (const fs of model.ofType('AWS::FSx::FileSystem').filter(retained)) {
    const subnets = listOf(fs.properties.SubnetIds).map(id => model.resolve(fs.stackName, id)).filter(n => n !== undefined && !retained(n));
    if (subnets.length > 0) {
      out.push(`${model.name(fs)} (${fs.type}) is retained, and its network interfaces stay in subnet(s) ${subnets.map(n => model.name(n!)).join(', ')}, ` +
        'which the stacks delete: deleting them (and their VPC) fails with DependencyViolation and the stack ends in DELETE_FAILED until the file system is deleted.');
    }
  }
  return out;
}

/** Resources CloudFormation leaves in the account on stack deletion (`DeletionPolicy: Retain`), as `name (Type)`. */
export function retainedOnDelete(input: Templates): string[] {
  const model = new DeployModel(input);
  return model.nodes
    .filter(n => n.resource.DeletionPolicy === 'Retain' || n.resource.DeletionPolicy === 'RetainExceptOnCreate')
    .map(n => `${model.name(n)} (${n.type})`);
}

"""Rehearsal of a project in a VPC against the emulator (issue #15): the VPC and its
subnets are made in moto's EC2, the project stack is deployed into them with
`cdk deploy -c vpc.id=... -c vpc.subnetIds=...`, the deploy pipeline's Build stage
places the staging endpoint there, and its stack deploys.

What the emulator checks: every resource of both templates is created; the security
groups the stacks create are in the VPC with no inbound rule and outbound HTTPS only;
the build projects, the notifying function and the staging model run in the subnets.
Not modelled, checked in the templates instead: the model's EnableNetworkIsolation and
the security groups' egress rules.
What it cannot show: EC2 network interfaces (moto creates none for CodeBuild, Lambda or
SageMaker), that IAM lets those services create them with the scoped policies (the Go
tests evaluate them), and routing through the VPC endpoints the README lists.
"""

from __future__ import annotations

import json

from .rehearsal import Project, step

PROJECT_ID = "p-invpc01"


def test_a_project_in_a_vpc(rehearsal):
    r = rehearsal
    ec2 = r.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.{}.0/24".format(i), AvailabilityZone="us-east-1" + zone)["Subnet"]["SubnetId"]
               for i, zone in ((1, "a"), (2, "b"))]
    p = Project(r, PROJECT_ID)

    with step("V1. deploy the project stack into a VPC's subnets"):
        r.bootstrap()
        template = p.deploy({"vpc.id": vpc, "vpc.subnetIds": ",".join(subnets)})
        cf = r.client("cloudformation")
        assert cf.describe_stacks(StackName=p.stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        created = {s["LogicalResourceId"] for s in cf.list_stack_resources(StackName=p.stack)["StackResourceSummaries"]}
        assert created == set(template["Resources"]), "every resource of the template was handled"
        builds = r.client("codebuild").batch_get_projects(
            names=["sagemaker-{}-{}".format(p.group, b) for b in ("modelbuild", "modeldeploy", "testing")])["projects"]
        assert len(builds) == 3
        for b in builds:
            assert b["vpcConfig"]["vpcId"] == vpc and b["vpcConfig"]["subnets"] == subnets, b["name"]
        functions = [f for f in r.client("lambda").list_functions()["Functions"] if f["FunctionName"].startswith(p.stack[:40])]
        placed = [f for f in functions if f.get("VpcConfig", {}).get("SubnetIds") == subnets]
        assert placed, "the notifying function runs in the subnets"
        env = r.project_env("sagemaker-{}-modelbuild".format(p.group))
        assert env["SAGEMAKER_SUBNET_IDS"] == ",".join(subnets), "the SageMaker pipeline's jobs are placed there"
        print("   {} build projects and {} function(s) in {}; ModelBuild tells the pipeline {}".format(len(builds), len(placed), vpc, env["SAGEMAKER_SUBNET_IDS"]))

    with step("V2. build and deploy staging: its model in the subnets"):
        arn = p.register()
        p.set_status(arn, "Approved")
        out = r.workdir / "build-vpc"
        p.build(out)
        assert p.decision(out)["DEPLOY"] == "true"
        stack = p.deploy_stage("DeployStaging", out)
        sm = r.client("sagemaker")
        models = [s["PhysicalResourceId"] for s in cf.list_stack_resources(StackName=stack)["StackResourceSummaries"] if s["ResourceType"] == "AWS::SageMaker::Model"]
        model = sm.describe_model(ModelName=models[0].split(":model/")[-1])
        assert model["VpcConfig"]["Subnets"] == subnets
        # moto's model keeps no EnableNetworkIsolation: the template the action
        # deployed says it.
        staged = json.loads((out / "Staging.template.json").read_text())
        assert [m["Properties"]["EnableNetworkIsolation"] for m in staged["Resources"].values() if m["Type"] == "AWS::SageMaker::Model"] == [True]
        print("   placeholder: EnableNetworkIsolation (moto's model does not keep it), checked in the deployed template")

    with step("V3. the security groups the stacks created: no inbound rule (outbound HTTPS only, in the templates)"):
        groups = [g for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"] if g["GroupName"] != "default"]
        assert len(groups) >= 3, "the jobs and ModelBuild's, the ModelDeploy builds', the notifying function's, the endpoint's"
        assert model["VpcConfig"]["SecurityGroupIds"][0] in {g["GroupId"] for g in groups}
        for g in groups:
            assert g["IpPermissions"] == [], g["GroupName"]
        # moto's CloudFormation handler ignores SecurityGroupEgress (it keeps EC2's
        # default allow-all rule): the templates say what AWS applies.
        https = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0", "Description": "HTTPS to AWS APIs through the VPC's endpoints"}]
        declared = [res["Properties"] for t in (template, staged) for res in t["Resources"].values() if res["Type"] == "AWS::EC2::SecurityGroup"]
        assert len(declared) == len(groups)
        for props in declared:
            assert props["SecurityGroupEgress"] == https and "SecurityGroupIngress" not in props
        print("   {} security groups in {}, none taking a connection".format(len(groups), vpc))
        print("   placeholder: the groups' egress rules (moto's CloudFormation ignores SecurityGroupEgress), checked in the templates")

    with step("V4. clean up"):
        for name in (stack, p.stack):
            cf.delete_stack(StackName=name)
            cf.get_waiter("stack_delete_complete").wait(StackName=name)

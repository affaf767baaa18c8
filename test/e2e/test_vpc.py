"""Rehearsal of a project in a VPC against the emulator (issue #15): the VPC and its
subnets are made in moto's EC2, the project stack is deployed into them with
`cdk deploy -c vpc.id=... -c vpc.subnetIds=...` (prod in a VPC of its own, with
`prod.vpc.*`), and the deploy pipeline runs: its Build stage places the staging
endpoint in the project's subnets, the test gate (in the subnets too) passes, and
prod deploys into its own subnets.

What the emulator checks: every resource of both templates is created; the security
groups the stacks create are in the VPC with no inbound rule and outbound HTTPS only;
the build projects, the notifying function and the staging model run in the project's
subnets, the prod model in prod's.
Not modelled, checked in the templates instead: the model's EnableNetworkIsolation and
the security groups' egress rules.
What it cannot show: EC2 network interfaces (moto creates none for CodeBuild, Lambda or
SageMaker), that IAM lets those services create them with the scoped policies (the Go
tests evaluate them), and routing through the VPC endpoints the README lists.
"""

from __future__ import annotations

import json

from .rehearsal import REALISTIC, Project, step

PROJECT_ID = "p-invpc01"


def test_a_project_in_a_vpc(rehearsal):
    r = rehearsal
    ec2 = r.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.{}.0/24".format(i), AvailabilityZone="us-east-1" + zone)["Subnet"]["SubnetId"]
               for i, zone in ((1, "a"), (2, "b"))]
    prod_vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    prod_subnets = [ec2.create_subnet(VpcId=prod_vpc, CidrBlock="10.30.{}.0/24".format(i), AvailabilityZone="us-east-1" + zone)["Subnet"]["SubnetId"]
                    for i, zone in ((1, "a"), (2, "c"))]
    p = Project(r, PROJECT_ID)

    with step("V1. deploy the project stack into a VPC's subnets, prod into another VPC's"):
        r.bootstrap()
        template = p.deploy({"vpc.id": vpc, "vpc.subnetIds": ",".join(subnets),
                             "prod.vpc.id": prod_vpc, "prod.vpc.subnetIds": ",".join(prod_subnets)})
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

    with step("V2. the deploy pipeline: staging in the subnets, the test gate, prod in its own VPC"):
        arn = p.register()
        p.set_status(arn, "Approved")
        out = r.workdir / "build-vpc"
        p.build(out)
        assert p.decision(out)["DEPLOY"] == "true"
        assert p.after_build(out, REALISTIC) == "deployed to prod", p.report.read_text() if p.report.exists() else ""
        assert json.loads(p.report.read_text())["passed"] is True
        sm = r.client("sagemaker")
        models = {}
        for stage in ("DeployStaging", "DeployProd"):
            name = p.actions[stage]["StackName"]
            ids = [s["PhysicalResourceId"] for s in cf.list_stack_resources(StackName=name)["StackResourceSummaries"] if s["ResourceType"] == "AWS::SageMaker::Model"]
            models[stage] = sm.describe_model(ModelName=ids[0].split(":model/")[-1])
        assert models["DeployStaging"]["VpcConfig"]["Subnets"] == subnets
        assert models["DeployProd"]["VpcConfig"]["Subnets"] == prod_subnets
        # moto's model keeps no EnableNetworkIsolation: the templates the actions
        # deployed say it.
        staged = [json.loads((out / name).read_text()) for name in ("Staging.template.json", "Prod.template.json")]
        assert [m["Properties"]["EnableNetworkIsolation"] for t in staged for m in t["Resources"].values() if m["Type"] == "AWS::SageMaker::Model"] == [True, True]
        print("   staging's model in {}, the test gate passed from the subnets, prod's model in {}".format(vpc, prod_vpc))
        print("   placeholder: EnableNetworkIsolation (moto's model does not keep it), checked in the deployed templates")

    with step("V3. the security groups the stacks created: no inbound rule (outbound HTTPS only, in the templates)"):
        groups = [g for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc, prod_vpc]}])["SecurityGroups"] if g["GroupName"] != "default"]
        assert len(groups) >= 4, "the jobs and ModelBuild's, the ModelDeploy builds', the notifying function's, the endpoints'"
        for stage, in_vpc in (("DeployStaging", vpc), ("DeployProd", prod_vpc)):
            group = models[stage]["VpcConfig"]["SecurityGroupIds"][0]
            assert group in {g["GroupId"] for g in groups if g["VpcId"] == in_vpc}, stage
        for g in groups:
            assert g["IpPermissions"] == [], g["GroupName"]
        # moto's CloudFormation handler ignores SecurityGroupEgress (it keeps EC2's
        # default allow-all rule): the templates say what AWS applies.
        https = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0", "Description": "HTTPS to AWS APIs through the VPC's endpoints"}]
        declared = [res["Properties"] for t in (template, *staged) for res in t["Resources"].values() if res["Type"] == "AWS::EC2::SecurityGroup"]
        assert len(declared) == len(groups)
        for props in declared:
            assert props["SecurityGroupEgress"] == https and "SecurityGroupIngress" not in props
        print("   {} security groups in {} and {}, none taking a connection".format(len(groups), vpc, prod_vpc))
        print("   placeholder: the groups' egress rules (moto's CloudFormation ignores SecurityGroupEgress), checked in the templates")

    with step("V4. clean up"):
        for name in (p.actions["DeployProd"]["StackName"], p.actions["DeployStaging"]["StackName"], p.stack):
            cf.delete_stack(StackName=name)
            cf.get_waiter("stack_delete_complete").wait(StackName=name)

import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TollgateStack } from '../lib/tollgate-stack.ts';

/** The CDK app: one Tollgate stack, checked by cdk-nag's AWS Solutions rules on every synth. */
const app = new App();
new TollgateStack(app, 'Tollgate', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

export type { DemoEnvironment } from './environment.ts';
export {
  demoApplications,
  demoManifests,
  overlay,
  projectAndWarehouse,
  stageApplication,
  startDemoEnvironment,
  startPrivateNats,
} from './environment.ts';

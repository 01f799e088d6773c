export type { DemoEnvironment } from './environment.ts';
export {
  demoApplications,
  demoManifests,
  overlay,
  startDemoEnvironment,
  startPrivateNats,
} from './environment.ts';

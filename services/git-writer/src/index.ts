/** git-writer: turns `WriteGit` commands into commits, exactly once. */
export type { GitWriter, GitWriterDeps, GitWriterOptions } from './service.ts';
export { startGitWriter } from './service.ts';

// runtime/docker/local-build.ts — STUB for the integrator: the dbuild helper's branch has the real LocalBuildDriver
// (local mode's BuildDriver: Dockerfile apps on the Engine when PAAS_DOCKER=auto and one answers, the rest natively).
// At merge, take that branch's file over this one; runtime/select.ts uses only the name and this constructor shape.
import type { BuildDriver, BuildInput, BuildOutput } from '../driver.ts';

/** Whether local mode may use the Engine, and a check that it answers (undefined when it does; else why not). */
export interface LocalDockerSetting {
  localDockerfiles: 'auto' | 'off';
  engineProblem(): Promise<string | undefined>;
}

export class LocalBuildDriver implements BuildDriver {
  constructor(private readonly native: BuildDriver, private readonly docker: BuildDriver, private readonly setting: LocalDockerSetting) {}

  /** Stub: builds natively (the real driver sends Dockerfile apps to `docker`). */
  build(input: BuildInput): Promise<BuildOutput> {
    void this.docker;
    void this.setting;
    return this.native.build(input);
  }
}

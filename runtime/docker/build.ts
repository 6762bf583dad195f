// runtime/docker/build.ts — STUB for the integrator: the dbuild helper's branch has the real DockerBuildDriver (Docker
// mode's BuildDriver: the injected or the app's Dockerfile built by the Engine, tagged `paas-<platform>/<app>:<build>`).
// At merge, take that branch's file over this one; runtime/select.ts uses only the name and this constructor shape.
import type Docker from 'dockerode';
import type { Config } from '../../core/config.ts';
import { PaasError } from '../../core/errors.ts';
import type { BuildDriver, BuildInput, BuildOutput } from '../driver.ts';

export type DockerBuildConfig = Pick<Config, 'dataDir' | 'appLimits'>;

export class DockerBuildDriver implements BuildDriver {
  constructor(private readonly docker: Docker, private readonly config: DockerBuildConfig) {}

  /** Stub: the dbuild helper's driver builds the image. */
  async build(input: BuildInput): Promise<BuildOutput> {
    void this.docker;
    void this.config;
    throw new PaasError('E_RUNTIME_UNSUPPORTED', `Docker builds are not merged into this branch yet (${input.app})`);
  }
}

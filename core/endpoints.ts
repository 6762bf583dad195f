// core/endpoints.ts — where users reach the platform: the ports its listeners actually bound. Config holds the
// ports asked for (0: any free one) and stays frozen; each listener records the port it got here, once, and app URLs
// and git remotes read them here (config.endpoints). The local CLI loads the running platform's from run/endpoints.json.
import fs from 'node:fs';
import path from 'node:path';

export type Listener = 'http' | 'ssh' | 'router' | 'routerTls';

/** The ports asked for; `routerTls` only when the router serves HTTPS (PAAS_ROUTER_TLS_PORT). */
type Asked = Readonly<Record<Exclude<Listener, 'routerTls'>, number> & { routerTls?: number }>;

/** The ports users reach: the bound one once its listener recorded it, the asked one until then. */
export class Endpoints {
  private readonly bound = new Map<Listener, number>();

  constructor(private readonly asked: Asked) {}

  /** Records the port a listener bound (the effective one when 0 was asked); each listener records once. */
  bind(listener: Listener, port: number): void {
    if (this.bound.has(listener)) throw new Error(`the ${listener} port was already recorded (${this.bound.get(listener)})`);
    this.bound.set(listener, port);
  }

  get httpPort(): number { return this.port('http'); }
  get sshPort(): number { return this.port('ssh'); }
  get routerPort(): number { return this.port('router'); }
  /** The router's HTTPS port, or undefined when it serves no HTTPS. */
  get routerTlsPort(): number | undefined { return this.bound.get('routerTls') ?? this.asked.routerTls; }

  private port(listener: Exclude<Listener, 'routerTls'>): number {
    return this.bound.get(listener) ?? this.asked[listener];
  }
}

function endpointsFile(dataDir: string): string {
  return path.join(dataDir, 'run', 'endpoints.json');
}

/** Records the ports the running platform listens on, so the local CLI prints the right remotes and URLs. */
export function writeEndpoints(dataDir: string, e: Endpoints): void {
  fs.mkdirSync(path.dirname(endpointsFile(dataDir)), { recursive: true });
  fs.writeFileSync(endpointsFile(dataDir), JSON.stringify({ httpPort: e.httpPort, sshPort: e.sshPort, routerPort: e.routerPort, routerTlsPort: e.routerTlsPort }));
}

/** Takes the ports the running platform recorded in its data dir, if it did (the local CLI's view). */
export function bindRunningEndpoints(dataDir: string, e: Endpoints): void {
  const file = endpointsFile(dataDir);
  if (!fs.existsSync(file)) return;
  const ports = JSON.parse(fs.readFileSync(file, 'utf8')) as { httpPort: number; sshPort: number; routerPort: number; routerTlsPort?: number };
  e.bind('http', ports.httpPort);
  e.bind('ssh', ports.sshPort);
  e.bind('router', ports.routerPort);
  if (ports.routerTlsPort !== undefined) e.bind('routerTls', ports.routerTlsPort);
}

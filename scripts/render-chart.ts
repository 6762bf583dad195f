// scripts/render-chart.ts — `helm template` for charts/paas where there is no helm: renders the chart with the
// renderer its tests use (test/chart/render-chart.ts, a strict interpreter of the Go-template subset the chart
// uses) and prints the objects as one multi-document YAML stream, each namespaced one in the release namespace, for
// `kubectl apply --server-side`:
//
//   node --import tsx scripts/render-chart.ts --namespace paas --release paas -f my-values.yaml \
//     | kubectl apply --server-side --field-manager=paas-chart -f -
//
// Values files merge over charts/paas/values.yaml in order, as `helm -f` does. NOTES.txt goes to standard error.
// The in-release PostgreSQL and NATS (chart dependencies) are not rendered: use external ones. It needs this
// checkout with its dev dependencies installed (`npm ci`, not `npm ci --omit=dev`: tsx runs it, and `yaml`) and
// imports the test renderer from test/chart/render-chart.ts. A kind whose scope it does not know is refused.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { mergeValues, renderChart } from '../test/chart/render-chart.ts';

/** The kinds the chart renders that belong to no namespace. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
/** The namespaced kinds the chart renders (and a few it may come to render). */
const NAMESPACED = new Set([
  'ConfigMap', 'Deployment', 'Ingress', 'Job', 'NetworkPolicy', 'PersistentVolumeClaim', 'Role', 'RoleBinding', 'Secret',
  'Service', 'ServiceAccount', 'ServiceMonitor', 'StatefulSet',
]);

/**
 * Whether a kind the chart renders is namespaced. A kind in neither list is refused, loudly: guessing would put a
 * cluster-scoped object in a namespace (the API server refuses it) or leave a namespaced one out of the release's.
 */
export function isNamespaced(kind: string): boolean {
  if (CLUSTER_SCOPED.has(kind)) return false;
  if (NAMESPACED.has(kind)) return true;
  throw new Error(`the chart renders a ${kind}, whose scope (namespaced or cluster-wide) scripts/render-chart.ts does not know: add it to CLUSTER_SCOPED or NAMESPACED`);
}

function main(argv: string[]): number {
  let namespace = 'paas', release = 'paas';
  let values: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!, next = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${arg} needs a value`); return v; };
    if (arg === '--namespace' || arg === '-n') namespace = next();
    else if (arg === '--release') release = next();
    else if (arg === '-f' || arg === '--values') values = mergeValues(values, (YAML.parse(fs.readFileSync(next(), 'utf8')) ?? {}) as Record<string, unknown>);
    else throw new Error(`unknown argument ${arg} (usage: render-chart.ts [--namespace NS] [--release NAME] [-f values.yaml]...)`);
  }
  const out: string[] = [];
  for (const [file, text] of renderChart(values, { name: release, namespace })) {
    if (file === 'NOTES.txt') { process.stderr.write(text.trim() + '\n'); continue; }
    for (const doc of YAML.parseAllDocuments(text)) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors.join('; ')}`);
      const obj = doc.toJS() as { kind: string; metadata: { namespace?: string } } | null;
      if (obj === null) continue;
      // As helm does: objects of namespaced kinds go to the release namespace unless they name theirs (the build
      // namespace's NetworkPolicy), so one `kubectl apply` without -n takes the whole stream.
      if (isNamespaced(obj.kind) && !obj.metadata.namespace) doc.setIn(['metadata', 'namespace'], namespace);
      out.push(`# Source: paas/templates/${file}\n${doc.toString().trim()}`);
    }
  }
  process.stdout.write(out.join('\n---\n') + '\n');
  return 0;
}

// Run as a script, not when a test imports isNamespaced.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`render-chart: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

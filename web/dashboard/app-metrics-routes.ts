// web/dashboard/app-metrics-routes.ts — an app's Metrics tab: the last hour or day of its traffic and process usage
// as server-rendered SVG charts, and the charts alone as the fragment htmx polls (every 10 s; 60 s for the day) to keep them live.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appForActor, type AppRow } from '../../core/access.ts';
import { PaasError } from '../../core/errors.ts';
import { isMetricWindow, readAppMetrics, type MetricWindow } from '../../services/app-metrics.ts';
import { appPageCtx, loadApp } from './app-context.ts';
import { MAX_MARKERS, hhmmss, metricsCharts } from './metrics-view.ts';
import { sendFragment, sendPage, type DashDeps } from './respond.ts';
import { actorOf } from './sessions.ts';

type MetricsRequest = { Params: { app: string }; Querystring: { window?: unknown } };

/** The window asked for (1h when none); anything else is E_BAD_REQUEST: the value is never echoed into a link. */
function windowOf(req: FastifyRequest<MetricsRequest>): MetricWindow {
  const w = req.query.window ?? '1h';
  if (!isMetricWindow(w)) throw new PaasError('E_BAD_REQUEST', 'The window must be 1h or 24h');
  return w;
}

/** What the charts partial renders: the charts, the deploys in the window and the URL it polls. */
async function chartsCtx(d: DashDeps, app: AppRow, window: MetricWindow): Promise<Record<string, unknown>> {
  const m = await readAppMetrics(d.db, app.id, window);
  return {
    app, window, empty: m.empty, charts: m.empty ? [] : metricsCharts(m),
    // The newest MAX_MARKERS, as the charts draw: an app deploying in a loop would otherwise list thousands.
    deploys: m.deploys.slice(-MAX_MARKERS).map((r) => ({ version: r.version, status: r.status, time: hhmmss(r.at) })),
    moreDeploys: Math.max(0, m.deploys.length - MAX_MARKERS),
    // The day's buckets are a minute long: polling it every 10 s would redraw the same charts five times in six.
    resolution: m.resolution, pollSeconds: d.metricsPollSeconds ?? (window === '1h' ? 10 : 60),
  };
}

/** Registers /apps/:app/metrics and its polled fragment /apps/:app/metrics/charts. */
export function registerAppMetricsRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get<MetricsRequest>('/apps/:app/metrics', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'metrics');
    const window = windowOf(req);
    const windows = (['1h', '24h'] as const).map((w) => ({ id: w, label: w === '1h' ? 'Last hour' : 'Last 24 hours', current: w === window }));
    return sendPage(d, req, reply, 'app-metrics', appPageCtx(ctx, 'Metrics', { windows, ...(await chartsCtx(d, ctx.app, window)) }));
  });

  // Polled every 10 s by each open tab: only the access check and the metrics read, none of the page header's queries.
  app.get<MetricsRequest>('/apps/:app/metrics/charts', async (req, reply) => {
    const app = await appForActor(d.db, actorOf(req), req.params.app, 'read');
    const window = windowOf(req);
    return sendFragment(d, reply, 'metrics-charts', await chartsCtx(d, app, window));
  });
}

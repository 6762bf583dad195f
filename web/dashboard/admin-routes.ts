// web/dashboard/admin-routes.ts — the admin page: every user (make admin, disable), every app, system stats, the
// isolation mode, whether sign-ups are open, and invite links. Non-admins get 404, so the page is not advertised.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createInvite, INVITE_TTL, listOpenInvites, revokeInvite } from '../../core/accounts/invites.ts';
import { updateUser } from '../../core/accounts/users.ts';
import { PaasError } from '../../core/errors.ts';
import { getSettings, setPasswordSignIn, setSignupsOpen } from '../../core/settings.ts';
import { appSummaries } from '../../services/app-status.ts';
import { listApps } from '../../services/apps.ts';
import { appUrl } from '../../services/release-spec.ts';
import { machineStats, topApps } from '../../services/machine-stats.ts';
import { systemStats, userOverview } from '../../services/stats.ts';
import { fmtBytes, fmtNumber } from './metrics-view.ts';
import { attempt, field, redirect, sendPage, type DashDeps } from './respond.ts';
import { isTls } from './edge.ts';
import { actorOf } from './sessions.ts';

/** The admin as an actor, or E_NOT_FOUND for everyone else. */
function adminActor(req: FastifyRequest) {
  const actor = actorOf(req);
  if (!actor.user.isAdmin) throw new PaasError('E_NOT_FOUND', 'There is no such page');
  return actor;
}

const ACTIONS = {
  'make-admin': { isAdmin: true }, 'revoke-admin': { isAdmin: false }, disable: { disabled: true }, enable: { disabled: false },
} as const;

/** The machine's numbers as the page prints them. */
function machineView(m: Awaited<ReturnType<typeof machineStats>>) {
  return {
    load: m.load.map((l) => l.toFixed(2)).join(' / '), cpus: m.cpus,
    memory: `${fmtBytes(m.memory.total - m.memory.free)} of ${fmtBytes(m.memory.total)}`, memoryPercent: m.memory.usedPercent,
    disk: m.disk && `${fmtBytes(m.disk.total - m.disk.free)} of ${fmtBytes(m.disk.total)}`, diskFree: m.disk && fmtBytes(m.disk.free), diskPercent: m.disk?.usedPercent,
  };
}

/** The top apps' lists, values formatted; a list is undefined when no app has any. */
function topView(t: Awaited<ReturnType<typeof topApps>>) {
  const list = (rows: typeof t.cpu, f: (v: number) => string) => (rows.length ? rows.map((r) => ({ name: r.name, value: f(r.value) })) : undefined);
  return {
    cpu: list(t.cpu, (v) => `${fmtNumber(v)} cores`), memory: list(t.memory, fmtBytes),
    requests: list(t.requests, (v) => `${fmtNumber(v)} (${fmtNumber(v / 3600)}/s)`),
  };
}

/** Registers /admin. */
export function registerAdminRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get('/admin', async (req, reply) => {
    const actor = adminActor(req);
    const apps = await listApps(d.db, actor);
    const [users, stats, settings, summaries, invites, machine, top] = await Promise.all([
      userOverview(d.db), systemStats(d.db, d.config.dataDir), getSettings(d.db), appSummaries(d.db, apps), listOpenInvites(d.db, actor),
      machineStats(d.config.dataDir), topApps(d.db),
    ]);
    const appRows = apps.map((a) => ({ name: a.name, owner: a.owner_email, url: appUrl(d.config, a.name), createdAt: a.created_at, ...summaries.get(a.id)! }));
    const userRows = users.map((u) => ({ ...u, self: u.id === actor.user.id }));
    const isolation = { ...d.config.isolation, singleTenant: d.config.isolation.mode === 'none' };
    return sendPage(d, req, reply, 'admin', {
      title: 'Admin', nav: 'admin', users: userRows, apps: appRows, stats, settings, invites, isolation, ttl: INVITE_TTL,
      machine: machineView(machine), top: topView(top), signInProviders: d.config.signIn.providers.map((p) => ({ name: p.name })),
    });
  });

  // The link is shown on the page this POST answers, once: it is not put in a flash cookie or stored in plain.
  app.post('/admin/invites', async (req, reply) => {
    const actor = adminActor(req);
    const raw = field(req, 'hours') || String(INVITE_TTL.defaultHours);
    if (!/^\d{1,4}$/.test(raw)) throw new PaasError('E_BAD_REQUEST', 'Give how many hours the invite lasts');
    const invite = await createInvite(d.db, actor, Number(raw));
    const origin = `${isTls(req) ? 'https' : 'http'}://${req.host}`;
    return sendPage(d, req, reply, 'invite', { title: 'Invite link', nav: 'admin', origin, token: invite.token, expiresAt: invite.expiresAt });
  });

  app.post<{ Params: { id: string } }>('/admin/invites/:id/revoke', async (req, reply) => {
    const actor = adminActor(req);
    if (!/^\d{1,9}$/.test(req.params.id)) throw new PaasError('E_BAD_REQUEST', 'Unknown invite');
    await revokeInvite(d.db, actor, Number(req.params.id));
    return redirect(req, reply, '/admin', 'The invite is revoked: its link no longer works.');
  });

  app.post<{ Params: { id: string } }>('/admin/users/:id', async (req, reply) => {
    const actor = adminActor(req);
    const action = field(req, 'action') as keyof typeof ACTIONS;
    if (!Object.hasOwn(ACTIONS, action) || !/^\d{1,9}$/.test(req.params.id)) throw new PaasError('E_BAD_REQUEST', 'Unknown user action');
    const user = await updateUser(d.db, actor, Number(req.params.id), ACTIONS[action]);
    const said = { 'make-admin': 'is now an admin', 'revoke-admin': 'is no longer an admin', disable: 'is disabled and signed out everywhere', enable: 'is enabled' }[action];
    return redirect(req, reply, '/admin', `${user.email} ${said}.`);
  });

  app.post('/admin/signups', async (req, reply) => {
    const open = field(req, 'open') === 'true';
    await setSignupsOpen(d.db, adminActor(req), open);
    return redirect(req, reply, '/admin', open ? 'Sign-ups are open.' : 'Sign-ups are closed: only admins can add users now (users:create).');
  });

  app.post('/admin/password-sign-in', async (req, reply) => {
    const on = field(req, 'on') === 'true';
    const r = await attempt(() => setPasswordSignIn(d.db, adminActor(req), on, d.config.signIn.providers.length));
    if (!r.ok) return redirect(req, reply, '/admin#password-sign-in', r.error.message);
    return redirect(req, reply, '/admin', on ? 'Password sign-in is on.' : 'Password sign-in is off: users sign in with a provider only.');
  });
}

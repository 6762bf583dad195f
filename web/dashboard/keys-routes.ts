// web/dashboard/keys-routes.ts — the user's SSH keys: paste one (validated as the CLI validates it), list
// them with type, comment, SHA256 fingerprint, added and last used, and remove one after a confirmation.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addKey, listKeys, removeKey, type StoredKey } from '../../core/accounts/users.ts';
import { PaasError } from '../../core/errors.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';
import { requireUser } from './sessions.ts';

type KeyParams = { Params: { id: string } };

/** The user's key with that id, or E_KEY_NOT_FOUND (another user's key looks the same as a missing one). */
async function ownKey(d: DashDeps, req: FastifyRequest, id: string): Promise<StoredKey> {
  const key = (await listKeys(d.db, requireUser(req).id)).find((k) => String(k.id) === id);
  if (!key) throw new PaasError('E_KEY_NOT_FOUND', 'You have no such key; it may have been removed already');
  return key;
}

async function keysPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
  const keys = await listKeys(d.db, requireUser(req).id);
  const view = keys.map((k) => ({ ...k, shortType: k.type.replace(/^ssh-/, '').replace(/^ecdsa-sha2-/, 'ecdsa-') }));
  return sendPage(d, req, reply, 'keys', { title: 'SSH keys', nav: 'account', section: 'keys', keys: view, ...extra }, status);
}

/** Registers /account/keys. */
export function registerKeysRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get('/account', async (_req, reply) => reply.redirect('/account/keys', 303));
  app.get('/account/keys', async (req, reply) => keysPage(d, req, reply));

  app.post('/account/keys', async (req, reply) => {
    const text = field(req, 'key').trim();
    const r = await attempt(async () => {
      if (!text) throw new PaasError('E_KEY_INVALID', 'Paste a public key, for example the contents of ~/.ssh/id_ed25519.pub');
      return addKey(d.db, requireUser(req).id, text);
    });
    if (!r.ok) return keysPage(d, req, reply, { error: errorView(r.error), keyText: text.slice(0, 20_000) }, r.error.status);
    const k = r.value;
    return redirect(req, reply, '/account/keys', `Added ${k.type} key ${k.fingerprint}${k.comment ? ` (${k.comment})` : ''}. You can git push with it now.`);
  });

  app.get<KeyParams>('/account/keys/:id/remove', async (req, reply) => {
    const key = await ownKey(d, req, req.params.id);
    return sendPage(d, req, reply, 'confirm', {
      title: 'Remove SSH key', nav: 'account', action: `/account/keys/${key.id}/remove`, button: 'Remove key', cancel: '/account/keys',
      message: `Remove the ${key.type} key ${key.fingerprint}${key.comment ? ` (${key.comment})` : ''}? It stops working for git at once.`,
    });
  });

  app.post<KeyParams>('/account/keys/:id/remove', async (req, reply) => {
    const key = await ownKey(d, req, req.params.id);
    await removeKey(d.db, requireUser(req).id, key.fingerprint);
    return redirect(req, reply, '/account/keys', `Removed key ${key.fingerprint}. It no longer works for git.`);
  });
}

// cli/accounts.ts — users, SSH keys and API tokens commands.
import crypto from 'node:crypto';
import { PaasError } from '../core/errors.ts';
import {
  addKey, createToken, getUserByEmail, listKeys, listTokens, listUsers, removeKey, revokeToken, signUp, type User,
} from '../core/accounts/users.ts';
import { flag, need, table, type Command, type CommandContext } from './types.ts';
import { ago } from '../services/time-ago.ts';

/** The user a command acts for: yourself over SSH; locally, the EMAIL given (the operator acts for anyone). */
export async function subjectUser(ctx: CommandContext, email: string | undefined, usage: string): Promise<User> {
  if (ctx.actor.kind === 'user') {
    if (email && email.toLowerCase() !== ctx.actor.user.email && !ctx.actor.user.isAdmin) {
      throw new PaasError('E_FORBIDDEN', 'You can only manage your own account');
    }
    return email ? getUserByEmail(ctx.db, email) : ctx.actor.user;
  }
  if (!email) throw new PaasError('E_USAGE', `Locally, say which user: ${usage}`);
  return getUserByEmail(ctx.db, email);
}

export const accountCommands: Command[] = [
  {
    name: 'users:create', args: 'EMAIL [--admin] < password', summary: 'Create a user (the first user is an admin); the password comes on standard input or a hidden prompt', localOnly: true,
    // --password is declared only to refuse it with the way out: a password in argv is in `ps` for every local user.
    flags: { admin: { type: 'boolean' }, password: { type: 'string', bareIsEmpty: true } },
    async run(ctx, args) {
      if (args.flags.has('password')) {
        throw new PaasError('E_USAGE', '--password is not accepted: every user of this machine can read it in ps. Pipe the password on standard input instead (users:create EMAIL < file), or run users:create in a terminal to be asked for it');
      }
      const email = need(args, 0, 'EMAIL', 'users:create EMAIL [--admin] < password');
      const given = (await ctx.readStdin()).replace(/\r?\n$/, '') || (await ctx.promptSecret?.('Password (leave empty to generate one): ')) || '';
      const password = given || crypto.randomBytes(12).toString('base64url');
      const user = await signUp(ctx.db, email, password, { kind: 'operator', admin: args.flags.has('admin') });
      ctx.out(`Created user ${user.email}${user.isAdmin ? ' (admin)' : ''}`);
      if (!given) ctx.out(`Password: ${password}`);
    },
  },
  {
    name: 'users', args: '', summary: 'List users (admins and the local operator)',
    async run(ctx) {
      if (ctx.actor.kind === 'user' && !ctx.actor.user.isAdmin) throw new PaasError('E_FORBIDDEN', 'Only admins can list users');
      const users = await listUsers(ctx.db);
      table(users.map((u) => [u.email, u.isAdmin ? 'admin' : 'user', u.disabled ? 'disabled' : 'active'])).forEach(ctx.out);
    },
  },
  {
    name: 'keys:add', args: '[EMAIL] < key.pub', summary: 'Add an SSH public key (read from standard input)',
    async run(ctx, args) {
      const user = await subjectUser(ctx, args.positional[0], 'keys:add EMAIL < ~/.ssh/id_ed25519.pub');
      const text = (await ctx.readStdin()).trim();
      if (!text) throw new PaasError('E_KEY_INVALID', 'No key on standard input: keys:add < ~/.ssh/id_ed25519.pub');
      const key = await addKey(ctx.db, user.id, text);
      ctx.out(`Added ${key.type} key ${key.fingerprint}${key.comment ? ` (${key.comment})` : ''} for ${user.email}`);
    },
  },
  {
    name: 'keys', args: '[EMAIL]', summary: 'List SSH keys',
    async run(ctx, args) {
      const user = await subjectUser(ctx, args.positional[0], 'keys EMAIL');
      const keys = await listKeys(ctx.db, user.id);
      if (!keys.length) { ctx.out(`${user.email} has no SSH keys. Add one: keys:add < ~/.ssh/id_ed25519.pub`); return; }
      ctx.out(`=== ${user.email} SSH keys`);
      table(keys.map((k) => [k.fingerprint, `${k.type.replace(/^ssh-/, '')}-${k.bits}`, k.comment || '-', `added ${ago(k.createdAt)}`, `used ${ago(k.lastUsedAt)}`])).forEach(ctx.out);
    },
  },
  {
    name: 'keys:remove', args: 'FINGERPRINT [EMAIL]', summary: 'Remove an SSH key; it stops working at once',
    async run(ctx, args) {
      const fp = need(args, 0, 'FINGERPRINT', 'keys:remove SHA256:…');
      const user = await subjectUser(ctx, args.positional[1], 'keys:remove FINGERPRINT EMAIL');
      await removeKey(ctx.db, user.id, fp);
      ctx.out(`Removed key ${fp}`);
    },
  },
  {
    name: 'tokens:create', args: '[EMAIL] [--description TEXT]', summary: 'Create an API token (shown once)',
    flags: { description: { type: 'string' } },
    async run(ctx, args) {
      const user = await subjectUser(ctx, args.positional[0], 'tokens:create EMAIL');
      const token = await createToken(ctx.db, user.id, flag(args, 'description') ?? '');
      ctx.out(`Created a token for ${user.email}. It is shown only this once:`);
      ctx.out(token);
    },
  },
  {
    name: 'tokens', args: '[EMAIL]', summary: 'List API tokens (their prefixes)',
    async run(ctx, args) {
      const user = await subjectUser(ctx, args.positional[0], 'tokens EMAIL');
      const tokens = await listTokens(ctx.db, user.id);
      if (!tokens.length) { ctx.out(`${user.email} has no API tokens. Create one: tokens:create`); return; }
      table(tokens.map((t) => [String(t.id), `${t.prefix}…`, t.description || '-', `created ${ago(t.createdAt)}`, `used ${ago(t.lastUsedAt)}`])).forEach(ctx.out);
    },
  },
  {
    name: 'tokens:revoke', args: 'ID [EMAIL]', summary: 'Revoke an API token',
    async run(ctx, args) {
      const id = need(args, 0, 'ID', 'tokens:revoke ID');
      if (!/^\d+$/.test(id)) throw new PaasError('E_USAGE', 'Give the token id shown by: tokens');
      const user = await subjectUser(ctx, args.positional[1], 'tokens:revoke ID EMAIL');
      await revokeToken(ctx.db, user.id, Number(id));
      ctx.out(`Revoked token ${id}`);
    },
  },
];

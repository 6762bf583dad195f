// cli/certs.ts — an app's HTTPS: `certs` (each host's certificate), `certs:add` (upload a chain and key: two files
// locally, one PEM bundle on standard input anywhere), `certs:remove`, and the redirect and HSTS switches.
import fs from 'node:fs';
import { PaasError } from '../core/errors.ts';
import { hostCertViews, httpsUnavailable, parseOnOff } from '../services/cert-view.ts';
import { addCertificate, listCertificates, removeCertificate, setHttpsOptions, type HttpsOptions } from '../services/certs.ts';
import { splitPemBundle } from './pem-bundle.ts';
import { need, table, type Args, type Command, type CommandContext } from './types.ts';

/** The largest PEM file read from the command line: as standard input's cap (cli/commands.ts). */
const MAX_PEM_FILE_BYTES = 64 * 1024;

const onOff = (b: boolean) => (b ? 'on' : 'off');

/** Refuses words beyond the usage (a typo must not be read as something else). */
function noMore(args: Args, count: number, usage: string): void {
  if (args.positional.length > count) throw new PaasError('E_USAGE', `Too many arguments. Usage: ${usage}`);
}

/** A PEM file named on the local command line, read with the same cap as standard input. */
function readPemFile(file: string, what: string): string {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new PaasError('E_USAGE', `Cannot read the ${what} file ${file}`);
  }
  if (size > MAX_PEM_FILE_BYTES) throw new PaasError('E_INPUT_TOO_LARGE', `The ${what} file is larger than ${MAX_PEM_FILE_BYTES} bytes`);
  return fs.readFileSync(file, 'utf8');
}

/** The chain and key: two files (local CLI only: the files are on the platform's machine), or one bundle on stdin. */
async function certAndKey(ctx: CommandContext, args: Args, usage: string): Promise<{ cert: string; key: string }> {
  const [, certFile, keyFile] = args.positional;
  if (certFile !== undefined) {
    if (ctx.actor.kind !== 'operator') throw new PaasError('E_USAGE', `Over SSH, pipe one PEM file holding the chain and then the key: certs:add APP < bundle.pem`);
    if (keyFile === undefined) throw new PaasError('E_USAGE', `Missing KEY_FILE. Usage: ${usage}`);
    return { cert: readPemFile(certFile, 'certificate'), key: readPemFile(keyFile, 'key') };
  }
  const text = await ctx.readStdin();
  if (text.trim() === '') throw new PaasError('E_USAGE', `Pipe the certificate chain and its key as one PEM file: certs:add APP < bundle.pem (locally also: ${usage})`);
  return splitPemBundle(text, 'certs:add APP < bundle.pem');
}

/** certs:redirect and certs:hsts: one switch each, `on` or `off`, nothing else. */
function switchCommand(name: 'redirect' | 'hsts', summary: string, option: keyof HttpsOptions): Command {
  const usage = `certs:${name} APP on|off`;
  return {
    name: `certs:${name}`, args: 'APP on|off', summary,
    async run(ctx, args) {
      const app = need(args, 0, 'APP', usage);
      const raw = need(args, 1, 'on or off', usage);
      noMore(args, 2, usage);
      const value = parseOnOff(raw);
      if (value === undefined) throw new PaasError('E_USAGE', `certs:${name} takes on or off, not "${raw.slice(0, 40)}". Usage: ${usage}`);
      const now = await setHttpsOptions(ctx.db, ctx.actor, app, { [option]: value });
      ctx.out(`${name === 'redirect' ? 'HTTP→HTTPS redirect' : 'HSTS'} is ${onOff(now[option])} for ${app}`);
    },
  };
}

export const certCommands: Command[] = [
  {
    name: 'certs', args: 'APP', summary: "Show each host's HTTPS certificate and the app's redirect and HSTS settings",
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'certs APP');
      noMore(args, 1, 'certs APP');
      const list = await listCertificates(ctx.db, ctx.actor, name, ctx.config);
      ctx.out(`=== ${list.app} certificates`);
      const off = httpsUnavailable(ctx.config);
      if (off) ctx.out(off);
      table([['Host', 'Source', 'State'], ...hostCertViews(list, ctx.config).map((v) => [v.host, v.source, v.state])]).forEach(ctx.out);
      if (list.upload) ctx.out(`Uploaded: ${list.upload.names.join(', ')} (expires ${list.upload.expiresAt.toISOString().slice(0, 10)})`);
      ctx.out(`Redirect HTTP→HTTPS: ${onOff(list.https.redirect)}   HSTS: ${onOff(list.https.hsts)}`);
    },
  },
  {
    name: 'certs:add', args: 'APP [CERT_FILE KEY_FILE] (or < bundle.pem)', summary: 'Upload a certificate chain and its key for the hosts it names',
    async run(ctx, args) {
      const usage = 'certs:add APP CERT_FILE KEY_FILE';
      const name = need(args, 0, 'APP', usage);
      noMore(args, 3, usage);
      const { cert, key } = await certAndKey(ctx, args, usage);
      const added = await addCertificate(ctx.db, ctx.actor, name, cert, key, ctx.config.baseDomain);
      ctx.out(`Added a certificate for ${added.names.join(', ')} to ${name} (expires ${added.expiresAt.toISOString().slice(0, 10)})`);
      ctx.out(added.hosts.length ? `It serves: ${added.hosts.join(', ')}` : `It covers none of ${name}'s hosts yet; add a domain it names with domains:add`);
    },
  },
  {
    name: 'certs:remove', args: 'APP', summary: "Remove the app's uploaded certificate (its hosts go back to ACME)",
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'certs:remove APP');
      noMore(args, 1, 'certs:remove APP');
      await removeCertificate(ctx.db, ctx.actor, name);
      ctx.out(`Removed ${name}'s uploaded certificate`);
    },
  },
  switchCommand('redirect', 'Turn the HTTP→HTTPS redirect of the app on or off', 'redirect'),
  switchCommand('hsts', 'Turn HSTS (Strict-Transport-Security) of the app on or off', 'hsts'),
];

// web/api-schemas.ts — the JSON API's route schemas (params, querystring, body) and how a request that fails
// them is answered: a PaasError with a stable code, so the error handler sends the documented
// {"error":{"code","message"}}. Names themselves (app names, config keys) are still checked by core/names.ts.
import type { FastifySchema } from 'fastify';
import type { SchemaErrorFormatter } from 'fastify/types/schema.js';
import { PaasError, type ErrorCode } from '../core/errors.ts';

/** The largest number of log lines one request may ask for (as `logs -n`). */
export const MAX_LOG_LINES = 10_000;

/** The largest body POST /api/apps/:app/certs takes: a chain and a key, each at most 64 KiB (services/cert-validate.ts). */
export const CERT_BODY_LIMIT = 160 * 1024;

const appParams = { type: 'object', properties: { app: { type: 'string' } }, required: ['app'] } as const;

const typeParams = { type: 'object', properties: { app: { type: 'string' }, type: { type: 'string' } }, required: ['app', 'type'] } as const;

/** Route schemas by route; fastify checks them before the handler runs (after the token, see api.ts). */
export const apiSchemas = {
  createApp: { body: { type: 'object', properties: { name: { type: 'string' } } } },
  app: { params: appParams },
  destroyApp: { params: appParams, querystring: { type: 'object', properties: { confirm: { type: 'string' } } } },
  /** `{"KEY": "value", "OLD": null}`; numbers and booleans are stored as their text; objects and arrays are refused. */
  setConfig: {
    params: appParams, body: { type: 'object', maxProperties: 500, additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
    // restart=false: store only (the CLI's --no-restart); encoded=true: values are base64 (--encoded).
    querystring: { type: 'object', properties: { restart: { type: 'string', enum: ['true', 'false'] }, encoded: { type: 'string', enum: ['true', 'false'] } } },
  },
  /** No body (or no version) rolls back to the release before the current one. */
  rollback: {
    params: appParams,
    body: {
      type: ['object', 'null'],
      properties: { version: { anyOf: [{ type: 'string', pattern: '^v?[0-9]{1,9}$' }, { type: 'integer', minimum: 0, maximum: 999_999_999 }] } },
    },
  },
  buildOutput: {
    params: { type: 'object', properties: { app: { type: 'string' }, build: { type: 'string', pattern: '^([0-9]{1,9}|[0-9a-f-]{36})$' } }, required: ['app', 'build'] },
  },
  /** `{"cert": "<PEM chain, leaf first>", "key": "<PEM private key>"}`; the services check what they hold. */
  addCert: {
    params: appParams,
    body: {
      type: 'object', required: ['cert', 'key'], additionalProperties: false,
      properties: { cert: { type: 'string', minLength: 1, maxLength: 65536 }, key: { type: 'string', minLength: 1, maxLength: 65536 } },
    },
  },
  /** `{"redirect": true, "hsts": false}`: either or both, booleans only. */
  setHttps: {
    params: appParams,
    body: { type: 'object', minProperties: 1, additionalProperties: false, properties: { redirect: { type: 'boolean' }, hsts: { type: 'boolean' } } },
  },
  /** `{"min": 1, "max": 5, "cpu": 70}`: services/autoscaling.ts judges the values (whole numbers, ranges) with E_AUTOSCALE_INVALID. */
  setAutoscale: {
    params: typeParams,
    body: { type: 'object', properties: { min: {}, max: {}, cpu: {} } },
  },
  autoscaleType: { params: typeParams },
  logs: { params: appParams, querystring: { type: 'object', properties: { lines: { type: 'string', pattern: `^([1-9][0-9]{0,3}|${MAX_LOG_LINES})$`, default: '100' } } } },
} satisfies Record<string, FastifySchema>;

type FieldErrors = Record<string, { code: ErrorCode; message?: string }>;

/**
 * The schemaErrorFormatter of a route: the code (and message) given for the failing field, e.g. `body/name`, or
 * for any field of a part, e.g. `body/*`; else E_BAD_REQUEST naming the field, e.g. "querystring/lines must match…".
 */
export function invalidInput(fields: FieldErrors = {}): SchemaErrorFormatter {
  return (errors, dataVar) => {
    const first = errors[0];
    const where = `${dataVar}${first?.instancePath ?? ''}`;
    const known = fields[where] ?? (first?.instancePath ? fields[`${dataVar}/*`] : undefined);
    return new PaasError(known?.code ?? 'E_BAD_REQUEST', known?.message ?? `${where} ${first?.message ?? 'is not valid'}`);
  };
}

/** Field errors of the routes whose fields have a code of their own. */
export const fieldErrors = {
  createApp: { 'body/name': { code: 'E_APP_NAME_INVALID', message: 'The app name must be a string: 1-63 lowercase letters, digits and hyphens' } },
  setConfig: { 'body/*': { code: 'E_CONFIG_VALUE_INVALID', message: 'Config values must be strings (numbers and booleans are taken as text), or null to unset' } },
  logs: { 'querystring/lines': { code: 'E_BAD_REQUEST', message: `lines must be a whole number from 1 to ${MAX_LOG_LINES}` } },
  // E_USAGE, as the services answer the same mistake (and the CLI's rollback and builds:output with it).
  rollback: { 'body/version': { code: 'E_USAGE', message: 'version must be a release version like v3 or 3' } },
  buildOutput: { 'params/build': { code: 'E_USAGE', message: 'build must be a build number or id' } },
  addCert: {
    'body/cert': { code: 'E_CERT_INVALID', message: 'cert must be the PEM certificate chain as a string, at most 64 KiB' },
    'body/key': { code: 'E_CERT_KEY_INVALID', message: 'key must be the PEM private key as a string, at most 64 KiB' },
  },
  setAutoscale: { body: { code: 'E_AUTOSCALE_INVALID', message: 'The body must be a JSON object: {"min": N, "max": M, "cpu": P}' } },
  setHttps: { 'body/*': { code: 'E_BAD_REQUEST', message: 'redirect and hsts must be true or false' } },
} satisfies Record<string, FieldErrors>;

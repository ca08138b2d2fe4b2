/**
 * Parses untrusted bytes into OCI documents. Strict JSON first (size cap, duplicate or
 * case-folded duplicate keys), then a JSON schema per document (ajv, compiled once per process and
 * only when something untrusted is parsed), then the rules a schema cannot say (rootfs.type, history
 * vs diff_ids, digests usable as paths).
 */
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import { InvalidInputError } from './errors.js';
import { parseStrictJson } from './strict-json.js';
import { nonEmptyHistoryCount, type ImageConfig, type Index, type Manifest } from './oci.js';

const digest = { type: 'string', pattern: '^sha256:[a-f0-9]{64}$' };
const mediaType = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$' };
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const stringArrayOrNull = { type: ['array', 'null'], items: { type: 'string' } };

const descriptor = {
  type: 'object',
  required: ['mediaType', 'digest', 'size'],
  properties: {
    mediaType,
    digest,
    size: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    urls: { type: 'array', items: { type: 'string' } },
    annotations: stringMap,
    data: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' },
    artifactType: mediaType,
    platform: {
      type: 'object',
      required: ['architecture', 'os'],
      properties: {
        architecture: { type: 'string' },
        os: { type: 'string' },
        'os.version': { type: 'string' },
        'os.features': { type: 'array', items: { type: 'string' } },
        variant: { type: 'string' },
      },
    },
  },
};

const manifestSchema = {
  type: 'object',
  required: ['schemaVersion', 'config', 'layers'],
  properties: {
    schemaVersion: { const: 2 },
    mediaType: { enum: ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'] },
    artifactType: mediaType,
    config: descriptor,
    layers: { type: 'array', items: descriptor },
    subject: descriptor,
    annotations: stringMap,
  },
};

const indexSchema = {
  type: 'object',
  required: ['schemaVersion', 'manifests'],
  properties: {
    schemaVersion: { const: 2 },
    mediaType: { enum: ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'] },
    artifactType: mediaType,
    manifests: { type: 'array', items: descriptor },
    subject: descriptor,
    annotations: stringMap,
  },
};

const configSchema = {
  type: 'object',
  required: ['architecture', 'os', 'rootfs'],
  properties: {
    created: { type: ['string', 'null'] },
    author: { type: ['string', 'null'] },
    architecture: { type: 'string' },
    os: { type: 'string' },
    variant: { type: 'string' },
    config: {
      type: ['object', 'null'],
      properties: {
        User: { type: ['string', 'null'] },
        ExposedPorts: { type: ['object', 'null'] },
        Env: { type: ['array', 'null'], items: { type: 'string', pattern: '^[^=]+=' } },
        Entrypoint: stringArrayOrNull,
        Cmd: stringArrayOrNull,
        Volumes: { type: ['object', 'null'] },
        WorkingDir: { type: ['string', 'null'] },
        Labels: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
        StopSignal: { type: ['string', 'null'] },
      },
    },
    rootfs: {
      type: 'object',
      required: ['type', 'diff_ids'],
      properties: { type: { type: 'string' }, diff_ids: { type: 'array', items: digest } },
    },
    history: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        properties: {
          created: { type: ['string', 'null'] },
          author: { type: ['string', 'null'] },
          created_by: { type: ['string', 'null'] },
          comment: { type: ['string', 'null'] },
          empty_layer: { type: ['boolean', 'null'] },
        },
      },
    },
  },
};

const layoutSchema = {
  type: 'object',
  required: ['imageLayoutVersion'],
  properties: { imageLayoutVersion: { const: '1.0.0' } },
};

let ajv: Ajv | undefined;
const compiled = new Map<object, ValidateFunction>();

function validator(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    ajv ??= new Ajv({ allErrors: false, strict: false, verbose: true });
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'does not match the schema';
  const at = e.instancePath ? e.instancePath.replace(/^\//, '').replace(/\//g, '.') : '(top level)';
  if (e.keyword === 'const' || e.keyword === 'enum') return `${at}: unsupported value ${JSON.stringify(e.data)}`;
  return `${at}: ${e.message ?? 'invalid'}`;
}

function check<T>(schema: object, bytes: Uint8Array | string, what: string): T {
  const value = parseStrictJson(bytes, what);
  const fn = validator(schema);
  if (!fn(value)) throw new InvalidInputError(`invalid ${what}: ${describe(fn.errors)}`, { code: 'INVALID_DOCUMENT' });
  return value as T;
}

export function parseManifest(bytes: Uint8Array | string, what = 'image manifest'): Manifest {
  return check<Manifest>(manifestSchema, bytes, what);
}

export function parseIndex(bytes: Uint8Array | string, what = 'image index'): Index {
  return check<Index>(indexSchema, bytes, what);
}

export function parseImageConfig(bytes: Uint8Array | string, what = 'image config'): ImageConfig {
  const config = check<ImageConfig>(configSchema, bytes, what);
  if (config.rootfs.type !== 'layers') {
    throw new InvalidInputError(`invalid ${what}: rootfs.type must be "layers", not ${JSON.stringify(config.rootfs.type)}`, { code: 'INVALID_DOCUMENT' });
  }
  const layered = nonEmptyHistoryCount(config.history);
  if (layered > config.rootfs.diff_ids.length) {
    throw new InvalidInputError(`invalid ${what}: ${layered} history entries with layers but only ${config.rootfs.diff_ids.length} diff_ids`, {
      code: 'INVALID_DOCUMENT',
    });
  }
  return config;
}

export function parseLayoutHeader(bytes: Uint8Array | string): void {
  check(layoutSchema, bytes, 'oci-layout');
}

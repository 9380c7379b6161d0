// The S3-compatible test server: s3rver on loopback, path-style, with the access key and secret from the environment
// (S3_ACCESS_KEY, S3_SECRET_KEY) instead of s3rver's fixed S3RVER/S3RVER, so an unknown access key id is refused as AWS
// would (s3rver checks the key id of a V4-signed request, not the signature itself).
//
//   node server.cjs --port 4568 --directory /tmp/data --bucket geminihooks
//
// s3rver implements multipart upload (initiate, upload part, complete) and ranged GET but not two calls the artifact
// store and its tests make: AbortMultipartUpload (DELETE ?uploadId=) and ListMultipartUploads (GET ?uploads). Both are
// added below over s3rver's own record of an upload in progress, a folder <directory>/<bucket>/._S3rver_uploads/<id>
// holding the key and the parts received, so what they report and remove is what the server really holds.
//
// One test control, for the tests of a failed upload: POST /__faults?uploadPart=500&after=N makes every UploadPart after
// the next N answer 500 InternalError (as an overloaded S3 does), until POST /__faults clears it. No bucket can be
// named __faults (bucket names have no underscores), so the path never shadows one.
'use strict';

const fs = require('fs');
const path = require('path');
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');

function argument(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const port = Number(argument('port', '4568'));
const directory = argument('directory');
const bucket = argument('bucket', 'geminihooks');
const accessKey = process.env.S3_ACCESS_KEY;
const secretKey = process.env.S3_SECRET_KEY;
if (!directory || !accessKey || !secretKey) {
  console.error('usage: S3_ACCESS_KEY=... S3_SECRET_KEY=... node server.cjs --port N --directory DIR [--bucket NAME]');
  process.exit(2);
}

AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);

const escapeXml = text =>
  String(text).replace(/[<>&'"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);

function xmlError(ctx, status, code, message) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`;
}

// The two added calls check that the request names this server's access key (s3rver's own middleware, which they
// bypass, checks the whole signature of every other call).
function signedByOurKey(ctx) {
  const authorization = ctx.get('authorization');
  return authorization.includes(`Credential=${accessKey}/`) || ctx.query['X-Amz-Credential']?.startsWith(`${accessKey}/`);
}

function uploadsDirectory(bucketName) {
  return path.join(directory, bucketName, '._S3rver_uploads');
}

let failPartsAfter = undefined; // parts still accepted before UploadPart fails; undefined: no fault

async function faults(ctx, next) {
  if (ctx.path === '/__faults' && ctx.method === 'POST') {
    if (!signedByOurKey(ctx)) return xmlError(ctx, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    failPartsAfter = ctx.query.uploadPart === '500' ? Number(ctx.query.after || 0) : undefined;
    ctx.status = 204;
    return;
  }
  if (failPartsAfter !== undefined && ctx.method === 'PUT' && ctx.query.uploadId && ctx.query.partNumber) {
    if (failPartsAfter <= 0) {
      // The body is drained first, as a server does, so the client reads the answer instead of a reset connection.
      ctx.req.resume();
      await new Promise(resolve => ctx.req.on('end', resolve));
      return xmlError(ctx, 500, 'InternalError', 'We encountered an internal error. Please try again. (test fault)');
    }
    failPartsAfter--;
  }
  return next();
}

// Parts being received, per upload id. An abort waits for them (S3 likewise lets parts in progress finish or fail):
// s3rver opens a part's file some time after the request begins, and removing the upload's folder before that would
// fail its write.
const partsInFlight = new Map();
const aborted = new Set();

async function trackParts(ctx, next) {
  const uploadId = ctx.query.uploadId;
  if (ctx.method !== 'PUT' || !uploadId || !ctx.query.partNumber) return next();
  const [bucketName] = ctx.path.split('/').filter(part => part.length > 0);
  if (aborted.has(uploadId) || !fs.existsSync(path.join(uploadsDirectory(bucketName), path.basename(uploadId)))) {
    ctx.req.resume();
    return xmlError(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  }
  partsInFlight.set(uploadId, (partsInFlight.get(uploadId) || 0) + 1);
  let done = false;
  const settle = () => {
    if (done) return;
    done = true;
    partsInFlight.set(uploadId, partsInFlight.get(uploadId) - 1);
  };
  // A client that goes away mid-part leaves s3rver's handler waiting for a body that never ends.
  ctx.req.on('close', () => setTimeout(settle, 200));
  try {
    return await next();
  } finally {
    settle();
  }
}

async function whenNoPartsInFlight(uploadId) {
  for (let waited = 0; (partsInFlight.get(uploadId) || 0) > 0 && waited < 10000; waited += 50) {
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  partsInFlight.delete(uploadId);
}

async function missingUploads(ctx, next) {
  const [bucketName, ...keyParts] = ctx.path.split('/').filter(part => part.length > 0);
  const isList = ctx.method === 'GET' && keyParts.length === 0 && 'uploads' in ctx.query;
  const isAbort = ctx.method === 'DELETE' && keyParts.length > 0 && ctx.query.uploadId;
  if (!isList && !isAbort) return next();
  if (!signedByOurKey(ctx)) return xmlError(ctx, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  if (!fs.existsSync(path.join(directory, bucketName))) return xmlError(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist');
  const uploads = uploadsDirectory(bucketName);
  if (isAbort) {
    const upload = path.join(uploads, path.basename(ctx.query.uploadId));
    if (!fs.existsSync(upload)) return xmlError(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    aborted.add(ctx.query.uploadId);
    await whenNoPartsInFlight(ctx.query.uploadId);
    fs.rmSync(upload, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  const prefix = ctx.query.prefix || '';
  const entries = fs.existsSync(uploads) ? fs.readdirSync(uploads) : [];
  const items = entries
    .map(id => {
      const keyFile = path.join(uploads, id, 'key');
      if (!fs.existsSync(keyFile)) return undefined;
      return { id, key: fs.readFileSync(keyFile, 'utf8'), initiated: fs.statSync(keyFile).mtime.toISOString() };
    })
    .filter(u => u && u.key.startsWith(prefix))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Bucket>${escapeXml(bucketName)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
    `<Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
    items
      .map(u => `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${escapeXml(u.id)}</UploadId>` +
        `<Initiated>${u.initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`)
      .join('') +
    '</ListMultipartUploadsResult>';
}

const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory,
  silent: true,
  vhostBuckets: false,
  configureBuckets: [{ name: bucket }],
});
// Ahead of s3rver's router, which answers both calls with NotImplemented / MethodNotAllowed.
server.middleware.unshift(faults, missingUploads, trackParts);

server.run().then(
  address => console.log(`s3 test server on http://${address.address}:${address.port}, bucket ${bucket}, data in ${directory}`),
  error => {
    console.error(`s3 test server did not start: ${error.message}`);
    process.exit(1);
  },
);

// The one failure s3rver cannot take: a part whose upload was aborted while the part was still arriving, whose file
// can then no longer be opened. S3 answers such a part with an error; here it is logged and the server carries on.
process.on('uncaughtException', error => {
  if (error.code === 'ENOENT' && String(error.path).includes('._S3rver_uploads')) {
    console.error(`a part of an aborted upload was not written: ${error.path}`);
    return;
  }
  console.error(error);
  process.exit(1);
});

// A stop is a stop: connections in use (a part half sent) are cut, not drained, as when a real server goes away.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    const closed = server.close();
    server.httpServer.closeAllConnections();
    closed.finally(() => process.exit(0));
  });
}

// Reads back what the broker handlers published, with the official clients (npm redis, nats, amqplib), so the
// .NET tests check the wire format against code that is not the project's own. CloudEvents bodies are parsed by the
// CNCF CloudEvents SDK, whose constructor validates the required attributes (and throws when one is wrong).
//
//   node broker-read.mjs redis <host:port,password=...> <stream>
//   node broker-read.mjs nats <nats://user:pass@host:port> <stream>
//   node broker-read.mjs rabbitmq-bind <amqp-uri> <exchange> <queue>   declare the exchange and a queue bound to '#'
//   node broker-read.mjs rabbitmq <amqp-uri> <queue>                   drain (and ack) every message in the queue
//
// Prints one JSON array: per message { id, type, endpoint, data, format, cloudevent? } in the order read.
import { createClient } from 'redis';
import { connect as natsConnect, headers as natsHeaders } from 'nats';
import amqp from 'amqplib';
import { CloudEvent } from 'cloudevents';

const [mode, connection, ...rest] = process.argv.slice(2);

function decode(bytes, meta) {
  const json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  if (json.specversion !== undefined) {
    const ce = new CloudEvent(json, true); // strict: throws a ValidationError on a bad attribute
    return { ...meta, format: 'cloudevents', ceId: ce.id, ceType: ce.type, data: ce.data,
      cloudevent: { specversion: ce.specversion, source: ce.source, time: ce.time, datacontenttype: ce.datacontenttype,
        usermetadata: ce.usermetadata ?? null } };
  }
  return { ...meta, format: 'envelope', bodyType: json.type, data: json.data };
}

async function readRedis(url, stream) {
  const [hostPort, ...options] = url.split(',');
  const password = options.find(o => o.startsWith('password='))?.slice('password='.length);
  const client = createClient({ url: `redis://${hostPort}`, password, RESP: 2 });
  await client.connect();
  try {
    const entries = await client.xRange(stream, '-', '+');
    return entries.map(e => decode(Buffer.from(e.message.body), {
      id: e.message.id, type: e.message.type, endpoint: e.message.endpoint, receivedAt: e.message.received_at }));
  } finally {
    await client.quit();
  }
}

async function readNats(url, stream) {
  const parsed = new URL(url);
  const nc = await natsConnect({ servers: `${parsed.hostname}:${parsed.port}`, user: decodeURIComponent(parsed.username),
    pass: decodeURIComponent(parsed.password) });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    const out = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      const msgId = m.header.get('Nats-Msg-Id');
      const colon = msgId.indexOf(':');
      out.push(decode(m.data, { id: msgId.slice(colon + 1), endpoint: msgId.slice(0, colon), type: m.header.get('Gemini-Event-Type'),
        subject: m.subject, contentType: m.header.get('Content-Type') }));
    }
    return out;
  } finally {
    await nc.close();
  }
}

async function bindRabbit(url, exchange, queue) {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: true });
    await ch.assertQueue(queue, { durable: true });
    await ch.bindQueue(queue, exchange, '#');
    await ch.close();
    return [];
  } finally {
    await conn.close();
  }
}

async function readRabbit(url, queue) {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    const out = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: false });
      if (!m) break;
      out.push(decode(m.content, { id: m.properties.messageId, type: m.properties.type, routingKey: m.fields.routingKey,
        endpoint: m.properties.headers?.['gemini-endpoint']?.toString(), contentType: m.properties.contentType,
        persistent: m.properties.deliveryMode === 2 }));
      ch.ack(m);
    }
    await ch.close();
    return out;
  } finally {
    await conn.close();
  }
}

const readers = { redis: readRedis, nats: readNats, rabbitmq: readRabbit, 'rabbitmq-bind': bindRabbit };
if (!readers[mode]) {
  console.error('usage: broker-read.mjs redis|nats|rabbitmq|rabbitmq-bind <connection> <name> [queue]');
  process.exit(2);
}
process.stdout.write(JSON.stringify(await readers[mode](connection, ...rest)));

using GeminiHooks.Events;
using GeminiHooks.Handlers;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace GeminiHooks.Brokers.Nats;

/// <summary>
/// Publishes to JetStream and waits for the stream's acknowledgement. <c>Nats-Msg-Id</c> is
/// <c>&lt;endpoint&gt;:&lt;webhook-id&gt;</c>, so a run that repeats within the stream's duplicate window (a replay,
/// or a crash after the publish but before the success was recorded) is dropped by the server and acknowledged as
/// a duplicate, which counts as success here.
/// </summary>
sealed class NatsJetStreamHandler(NatsHandlerType type, string url, string subject, string? stream, TimeSpan timeout,
    EventPayload payload) : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return BrokerPublish.WithTimeoutAsync("NATS JetStream", timeout, async ct =>
        {
            var js = new NatsJSContext(type.Connection(url));
            if (stream is not null)
                await type.EnsureStreamAsync(url, stream, () => CreateStreamIfMissingAsync(js, stream, CancellationToken.None)).WaitAsync(ct);
            var headers = new NatsHeaders
            {
                ["Content-Type"] = payload.ContentType,
                ["Gemini-Event-Type"] = @event.Type,
                ["Gemini-Endpoint"] = @event.Delivery.Endpoint,
            };
            try
            {
                var ack = await js.PublishAsync(BrokerPublish.Expand(subject, @event.Type), payload.Write(@event),
                    opts: new NatsJSPubOpts { MsgId = $"{@event.Delivery.Endpoint}:{@event.Delivery.WebhookId}" },
                    headers: headers, cancellationToken: ct);
                ack.EnsureSuccess();
            }
            catch (NatsJSDuplicateMessageException)
            {
                // The stream already holds this event from an earlier run: that run's publish is the one that counts.
            }
        }, cancellationToken);
    }

    async Task CreateStreamIfMissingAsync(NatsJSContext js, string name, CancellationToken cancellationToken)
    {
        try
        {
            await js.GetStreamAsync(name, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            // '<type>' stands for a dotted event type, so the stream takes every subject under the prefix.
            var subjects = BrokerPublish.Wildcard(subject, ">");
            await js.CreateStreamAsync(new StreamConfig(name, [subjects])
            {
                Storage = StreamConfigStorage.File,
                DuplicateWindow = type.DuplicateWindow,
            }, cancellationToken);
        }
    }
}

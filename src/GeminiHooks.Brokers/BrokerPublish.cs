namespace GeminiHooks.Brokers;

static class BrokerPublish
{
    /// <summary>
    /// Runs one publish under the handler's <c>Timeout</c>, in wall-clock time: a broker that never answers is a
    /// failed run, retried with backoff, rather than a run that holds its lease until it expires.
    /// </summary>
    public static async Task WithTimeoutAsync(string broker, TimeSpan timeout, Func<CancellationToken, Task> publish,
        CancellationToken cancellationToken)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await publish(timeoutCts.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{broker} did not confirm the publish within {timeout}", e);
        }
    }

    /// <summary>Longest event type put into a subject or routing key (RabbitMQ allows 255 bytes for the whole key).</summary>
    public const int MaxTypeLength = 200;

    /// <summary>
    /// Replaces <c>&lt;type&gt;</c> in a subject or routing key template with <see cref="Token"/> of the event type.
    /// </summary>
    public static string Expand(string template, string eventType) =>
        template.Replace("<type>", Token(eventType), StringComparison.Ordinal);

    /// <summary>
    /// Replaces <c>&lt;type&gt;</c> with the broker's own wildcard (NATS <c>&gt;</c>, RabbitMQ <c>#</c>), to bind or
    /// capture every type: unlike an event type, the wildcard is ours and must stay one.
    /// </summary>
    public static string Wildcard(string template, string wildcard) =>
        template.Replace("<type>", wildcard, StringComparison.Ordinal);

    /// <summary>
    /// The event type as a subject or routing-key part: ASCII letters lowered, every character outside
    /// <c>[a-z0-9._-]</c> replaced by <c>_</c>, an empty dot-separated token made <c>_</c>, at most
    /// <see cref="MaxTypeLength"/> characters. Types come from deliveries (an unknown type is stored, not refused):
    /// <c>batch.&gt;</c> or <c>*</c> would be a NATS wildcard, a space or an empty token an invalid subject, and
    /// <c>#</c> a RabbitMQ binding pattern. Gemini's own types (<c>batch.succeeded</c>) pass unchanged.
    /// </summary>
    public static string Token(string eventType)
    {
        var text = eventType.Length > MaxTypeLength ? eventType[..MaxTypeLength] : eventType;
        var tokens = text.Split('.');
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = string.Create(tokens[i].Length, tokens[i], static (span, source) =>
            {
                for (var j = 0; j < source.Length; j++)
                {
                    var c = source[j];
                    span[j] = c is >= 'A' and <= 'Z' ? (char)(c + ('a' - 'A'))
                        : c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' ? c
                        : '_';
                }
            });
            tokens[i] = token.Length == 0 ? "_" : token;
        }
        return string.Join('.', tokens);
    }
}
